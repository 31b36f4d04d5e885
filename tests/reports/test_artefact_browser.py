"""The HTML artefact report in a real browser: Debian's chromium, driven by chromium-driver through Selenium.

It must open with no console error (a blocked script or style, a CSP violation, a script error), make no
network request, run none of the hostile text, and stay usable with 10,000 messages: the search box
filters them (typed in Thai), headers sort them, a conversation shows its own messages. Rows are shown a
page at a time (250 by default), so "visible rows" are counted on one page and with "all" per page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.helpers import cli_json
from tests.reports.artefact_case import THAI_WORD, build_case, hostile_dump, thai_sms

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)
NETWORK_SCHEMES = ("http:", "https:", "ws:", "wss:", "ftp:")

VISIBLE_ROWS = """
return Array.prototype.filter.call(document.querySelectorAll(arguments[0] + ' tbody tr'),
  function (row) { return row.getClientRects().length > 0; }).map(function (row) {
    return {thread: row.dataset.thread || '', sort: row.cells[0].dataset.sort || '',
            body: (row.querySelector('td.c-body') || {textContent: ''}).textContent};
  });
"""


@pytest.fixture()
def browser(tmp_path: Path, require_tool: Callable[..., str]) -> Iterator[WebDriver]:
    chromium = require_tool("chromium", "chromium")
    driver_path = require_tool("chromedriver", "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver: WebDriver, path: Path) -> str:
    driver.get_log("performance")  # start the record at this page
    driver.get_log("browser")
    driver.get(path.as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return path.as_uri()


def requests(driver: WebDriver) -> list[tuple[str, str]]:
    """(document that asked, URL asked for) of every request the browser began since the last call."""
    out = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            out.append((str(params.get("documentURL", "")), str(params["request"]["url"])))
        elif message["method"] == "Network.webSocketCreated":
            out.append(("", str(message["params"]["url"])))
    return out


def assert_quiet(driver: WebDriver, page: str) -> None:
    """No console message of any level, and nothing fetched but the page itself and its data: fonts."""
    assert driver.get_log("browser") == []
    seen = requests(driver)
    assert [u for _, u in seen if u.startswith(NETWORK_SCHEMES)] == []
    assert [u for doc, u in seen if doc == page and u != page and not u.startswith("data:")] == []


def search(driver: WebDriver, section: str, text: str) -> WebElement:
    box = driver.find_element(By.CSS_SELECTOR, f"#{section} input.search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    if text:
        box.send_keys(text)
    return box


def wait_for_count(driver: WebDriver, section: str, matches: int, total: int) -> None:
    counter = driver.find_element(By.CSS_SELECTOR, f"#{section} .shown")
    WebDriverWait(driver, 30).until(lambda _d: counter.text == f"{matches} of {total} match")


def rows_per_page(driver: WebDriver, section: str, value: str) -> None:
    Select(driver.find_element(By.CSS_SELECTOR, f"#{section} select.size")).select_by_value(value)


def click(driver: WebDriver, element: WebElement) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)  # clear of sticky heads
    element.click()


def visible(driver: WebDriver, section: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = driver.execute_script(VISIBLE_ROWS, f"#{section}")
    return rows


def test_hostile_report_runs_nothing_fetches_nothing_and_logs_nothing(
    tmp_path: Path, browser: WebDriver
) -> None:
    root = build_case(tmp_path, sms=12, dump=hostile_dump())
    out = tmp_path / "report.html"
    cli_json("report", "artefacts", "--case", root, "--out", out)
    page = open_report(browser, out)

    assert browser.title == "Artefact report: TCSD 123/2568"  # the payloads would have set "pwned"
    counts = browser.execute_script(
        "return [document.querySelectorAll('img, iframe, object, embed, a[href^=\"javascript\"]').length,"
        " document.querySelectorAll('h1').length, document.scripts.length]"
    )
    assert counts == [0, 1, 2]  # the page's two scripts: the head's one line and the main one
    # The page's own script did run: the CSP hash matched (a blocked script would also log an error).
    assert browser.find_element(By.CSS_SELECTOR, "#kind-messages .toolbar").is_displayed()
    assert_quiet(browser, page)

    # Using it moves and hides rows holding the payloads; still nothing runs, loads or complains.
    click(browser, browser.find_element(By.CSS_SELECTOR, "#kind-conversations button.open-thread"))
    WebDriverWait(browser, 10).until(
        lambda d: (
            "chat" in d.find_element(By.CSS_SELECTOR, "#kind-messages table.rows").get_attribute("class")
        )
    )
    shown = visible(browser, "kind-messages")
    assert shown and len({r["thread"] for r in shown}) == 1
    search(browser, "kind-contacts", "สมชาย")
    wait_for_count(browser, "kind-contacts", 1, 1)
    assert browser.title == "Artefact report: TCSD 123/2568"
    assert_quiet(browser, page)


def test_search_sort_and_threads_on_10000_messages(tmp_path: Path, browser: WebDriver) -> None:
    total = 10_000
    _, hits = thai_sms(total)
    root = build_case(tmp_path, sms=total)
    out = tmp_path / "big.html"
    result = cli_json("report", "artefacts", "--case", root, "--kind", "messages", "--out", out)
    assert result["counts"] == {"messages": total}
    page = open_report(browser, out)
    assert len(visible(browser, "kind-messages")) == 250  # one page laid out, not 10,000 rows

    search(browser, "kind-messages", THAI_WORD)
    wait_for_count(browser, "kind-messages", hits, total)
    assert hits == total // 7
    first_page = visible(browser, "kind-messages")
    assert len(first_page) == 250 and all(THAI_WORD in r["body"] for r in first_page)
    click(browser, browser.find_element(By.CSS_SELECTOR, "#kind-messages button.next"))
    second_page = visible(browser, "kind-messages")
    assert len(second_page) == 250 and all(THAI_WORD in r["body"] for r in second_page)
    assert not {r["sort"] for r in first_page} & {r["sort"] for r in second_page}
    rows_per_page(browser, "kind-messages", "0")  # all matches on one page
    rows = visible(browser, "kind-messages")
    assert len(rows) == hits and all(THAI_WORD in r["body"] for r in rows)
    assert browser.find_element(By.CSS_SELECTOR, "#kind-messages .range").text == f"rows 1–{hits}"
    rows_per_page(browser, "kind-messages", "250")

    search(browser, "kind-messages", "")
    wait_for_count(browser, "kind-messages", total, total)
    assert len(visible(browser, "kind-messages")) == 250

    # Sort by time, newest first (second click), and back.
    time_header = browser.find_element(By.CSS_SELECTOR, "#kind-messages thead button.sort[data-col='0']")
    click(browser, time_header)
    click(browser, time_header)
    times = [r["sort"] for r in visible(browser, "kind-messages")]
    assert len(times) == 250 and times == sorted(times, reverse=True)
    newest = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#kind-messages tbody tr'),"
        " function (r) { return r.cells[0].dataset.sort; })"
    )
    assert newest == sorted(newest, reverse=True) and newest[0] == times[0]  # all 10,000 moved, not one page
    heading = browser.find_element(By.CSS_SELECTOR, "#kind-messages thead th")
    assert heading.get_attribute("aria-sort") == "descending"

    # A conversation: only its messages, oldest first; then all of them again.
    first = browser.find_element(By.CSS_SELECTOR, "#kind-conversations tbody tr")
    ref = first.get_attribute("data-thread-row")
    expected = int(first.find_elements(By.TAG_NAME, "td")[4].text)
    click(browser, first.find_element(By.CSS_SELECTOR, "button.open-thread"))
    wait_for_count(browser, "kind-messages", expected, total)
    rows = visible(browser, "kind-messages")
    assert len(rows) == expected == total // 50 and {r["thread"] for r in rows} == {ref}
    assert [r["sort"] for r in rows] == sorted(r["sort"] for r in rows)
    click(browser, browser.find_element(By.CSS_SELECTOR, "#kind-messages button.all-messages"))
    wait_for_count(browser, "kind-messages", total, total)
    assert_quiet(browser, page)
