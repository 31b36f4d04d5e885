/*
 * The walk of a Sleuth Kit file system, in C: the same entries, in the same order, as
 * TskFileSystem.walk in tsk.py builds through pytsk3, at a fraction of the cost per entry.
 *
 * Python keeps every decision about what an exhibit holds; this module only lists one file system
 * that tsk.py has already opened through pytsk3. It opens the same bytes a second time through the
 * system's libtsk (read through the same Python reader, so E01, LVM and LUKS volumes read alike),
 * walks the directories with an explicit stack and a set of visited inodes (a directory loop ends,
 * memory grows with pending directories, never with files), and builds each Entry, its UTC times and
 * its TskDetail directly. Nothing here writes: the image is only ever read through the reader.
 *
 * tsk.py falls back to its pytsk3 walk when this module is not built (no compiler or no libtsk
 * headers at install time), when EVIDENCE_INTAKE_NATIVE_WALK=0, or when libtsk does not open the file
 * system as pytsk3 did. The tests run every walk test through both and compare them entry by entry.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <string.h>
#include <tsk/libtsk.h>

/*
 * libtsk up to 4.12 lets a caller supply an image as a TSK_IMG_INFO it allocates with tsk_img_malloc,
 * whose read and close functions it sets (the way pytsk3 does). These two are exported by libtsk
 * but declared only in its internal headers; tsk_img_close destroys the cache lock itself, then
 * calls the close function, which frees the structure. Later releases wrap TSK_IMG_INFO in a larger structure:
 * the check below stops the build there (the tool then walks through pytsk3) rather than hand libtsk
 * a structure of the wrong size.
 */
_Static_assert(sizeof(((TSK_IMG_INFO *)0)->read) == sizeof(void *),
               "this libtsk keeps no read function in TSK_IMG_INFO: external images work differently");
extern void *tsk_img_malloc(size_t);
extern void tsk_img_free(void *);

/* ---- what tsk.py hands over once: the classes and constants entries are built from ---------- */

enum {
    F_PATH, F_NAME, F_TYPE, F_SIZE, F_VOLUME, F_FILESYSTEM, F_INODE, F_DELETED, F_MTIME, F_ATIME,
    F_CTIME, F_CRTIME, F_LINK_TARGET, F_STREAM, F_MODE, F_UID, F_GID, F_LOCATOR, F_COUNT
};
static const char *FIELD_NAMES[F_COUNT] = {
    "path", "name", "type", "size", "volume", "filesystem", "inode", "deleted", "mtime", "atime",
    "ctime", "crtime", "link_target", "stream", "mode", "uid", "gid", "locator",
};

static PyTypeObject *entry_type = NULL;   /* evidence.model.Entry (frozen, slots) */
static PyTypeObject *detail_type = NULL;  /* tsk.TskDetail (a named tuple) */
static PyObject *field_descr[F_COUNT];    /* the slot descriptors of Entry, in FIELD_NAMES order */
static PyObject *kind_file, *kind_dir, *kind_link, *kind_other;  /* EntryType members */
static PyObject *name_chars[12];          /* "-pcdbrlshwvV", one str per TSK name type */
static PyObject *meta_chars[12];          /* "-rdpcblhswvV", one str per TSK metadata type */
static PyObject *dash, *minus_one, *empty_tuple;

static const char NAME_TYPE_CHARS[] = "-pcdbrlshwvV";
static const char META_TYPE_CHARS[] = "-rdpcblhswvV";

static PyObject *
configure(PyObject *self, PyObject *args)
{
    PyObject *entry, *detail, *file, *dir, *link, *other;
    if (!PyArg_ParseTuple(args, "O!O!OOOO", &PyType_Type, &entry, &PyType_Type, &detail, &file, &dir,
                          &link, &other))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)detail, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "TskDetail must be a tuple type");
        return NULL;
    }
    for (int i = 0; i < F_COUNT; i++) {
        PyObject *descr = PyDict_GetItemString(((PyTypeObject *)entry)->tp_dict, FIELD_NAMES[i]);
        if (descr == NULL || Py_TYPE(descr)->tp_descr_set == NULL) {
            PyErr_Format(PyExc_TypeError, "Entry has no slot %s", FIELD_NAMES[i]);
            return NULL;
        }
        Py_INCREF(descr);
        Py_XSETREF(field_descr[i], descr);
    }
    Py_INCREF(entry);
    Py_XSETREF(entry_type, (PyTypeObject *)entry);
    Py_INCREF(detail);
    Py_XSETREF(detail_type, (PyTypeObject *)detail);
    Py_INCREF(file);
    Py_XSETREF(kind_file, file);
    Py_INCREF(dir);
    Py_XSETREF(kind_dir, dir);
    Py_INCREF(link);
    Py_XSETREF(kind_link, link);
    Py_INCREF(other);
    Py_XSETREF(kind_other, other);
    Py_RETURN_NONE;
}

/* ---- the image: TSK reads through the Python reader's read_at(offset, size) ---------------- */

typedef struct {
    TSK_IMG_INFO img;       /* first: TSK sees only this */
    PyObject *read_at;      /* bound method of the reader */
    PyObject *failure;      /* a BaseException that is not an Exception (Ctrl-C), raised after TSK returns */
    PyObject *error;        /* str of the reader's first error since the last problem: TSK may word it over */
} PyImage;

static ssize_t
image_read(TSK_IMG_INFO *img, TSK_OFF_T offset, char *buffer, size_t length)
{
    PyImage *image = (PyImage *)img;
    PyObject *data = PyObject_CallFunction(image->read_at, "Ln", (long long)offset, (Py_ssize_t)length);
    if (data == NULL) {
        PyObject *type, *value, *trace;
        PyErr_Fetch(&type, &value, &trace);
        PyErr_NormalizeException(&type, &value, &trace);
        const char *text = NULL;
        PyObject *str = value ? PyObject_Str(value) : NULL;
        if (str != NULL)
            text = PyUnicode_AsUTF8(str);
        if (text == NULL) {
            PyErr_Clear();
            text = "read failed";
        }
        tsk_error_reset();
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("%s", text);
        if (image->error == NULL && str != NULL) {
            image->error = str;
            str = NULL;
        }
        Py_XDECREF(str);
        if (value != NULL && !PyObject_IsInstance(value, PyExc_Exception) && image->failure == NULL) {
            image->failure = value;  /* keep it to raise once TSK has returned */
            value = NULL;
        }
        PyErr_Clear();
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(trace);
        return -1;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        Py_DECREF(data);
        tsk_error_reset();
        tsk_error_set_errno(TSK_ERR_IMG_READ);
        tsk_error_set_errstr("the reader returned no bytes");
        return -1;
    }
    size_t got = (size_t)view.len < length ? (size_t)view.len : length;
    memcpy(buffer, view.buf, got);
    PyBuffer_Release(&view);
    Py_DECREF(data);
    return (ssize_t)got;
}

static void
image_close(TSK_IMG_INFO *img)
{
    PyImage *image = (PyImage *)img;
    Py_CLEAR(image->read_at);
    Py_CLEAR(image->failure);
    Py_CLEAR(image->error);
    tsk_img_free(img);
}

static void
image_stat(TSK_IMG_INFO *img, FILE *out)
{
    (void)img;
    (void)out;
}

/* ---- FileSystem: one file system opened through libtsk ------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyImage *image;
    TSK_FS_INFO *fs;
    int closed;  /* close() only stops use: walks may still hold directories of fs until they go */
} FileSystem;

static PyObject *
tsk_failure(const char *what)
{
    const char *text = tsk_error_get();
    PyErr_Format(PyExc_OSError, "%s: %s", what, text && *text ? text : "unknown error");
    tsk_error_reset();
    return NULL;
}

static int
filesystem_init(FileSystem *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"read_at", "size", "offset", "ftype", NULL};
    PyObject *read_at;
    long long size, offset;
    unsigned int ftype;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLLI", keywords, &read_at, &size, &offset, &ftype))
        return -1;
    if (self->fs != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "already open");
        return -1;
    }
    PyImage *image = (PyImage *)tsk_img_malloc(sizeof(PyImage));
    if (image == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_INCREF(read_at);
    image->read_at = read_at;
    image->failure = NULL;
    image->error = NULL;
    if (tsk_img_open_external(image, (TSK_OFF_T)size, 512, image_read, image_close, image_stat) == NULL) {
        image_close(&image->img);
        tsk_failure("cannot open the image");
        return -1;
    }
    self->image = image;
    self->fs = tsk_fs_open_img(&image->img, (TSK_OFF_T)offset, (TSK_FS_TYPE_ENUM)ftype);
    if (self->fs == NULL) {
        PyObject *failure = image->failure;
        image->failure = NULL;
        tsk_img_close(&image->img);
        self->image = NULL;
        if (failure != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(failure), failure);
            Py_DECREF(failure);
            return -1;
        }
        tsk_failure("cannot open the file system");
        return -1;
    }
    return 0;
}

static void
filesystem_close_handles(FileSystem *self)
{
    if (self->fs != NULL) {
        tsk_fs_close(self->fs);
        self->fs = NULL;
    }
    if (self->image != NULL) {
        tsk_img_close(&self->image->img);
        self->image = NULL;
    }
}

static void
filesystem_dealloc(FileSystem *self)
{
    filesystem_close_handles(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
filesystem_ftype(FileSystem *self, void *closure)
{
    (void)closure;
    if (self->fs == NULL || self->closed) {
        PyErr_SetString(PyExc_ValueError, "the file system was closed");
        return NULL;
    }
    return PyLong_FromUnsignedLong((unsigned long)self->fs->ftype);
}

/* ---- times: aware UTC datetimes, as tsk.py's _EPOCH + timedelta(0, seconds, nanoseconds // 1000) - */

static PyObject *
utc_time(long long seconds, unsigned long nanoseconds)
{
    /* seconds outside datetime's years 1..9999 give None, as the OverflowError does in tsk.py */
    if (seconds == 0)
        Py_RETURN_NONE;
    if (seconds < -70000000000LL || seconds > 260000000000LL)
        Py_RETURN_NONE;
    long long total = seconds * 1000000LL + (long long)(nanoseconds / 1000);
    long long micro = total % 1000000LL;
    long long whole = total / 1000000LL;
    if (micro < 0) {
        micro += 1000000LL;
        whole -= 1;
    }
    long long days = whole / 86400LL;
    long long rest = whole % 86400LL;
    if (rest < 0) {
        rest += 86400LL;
        days -= 1;
    }
    /* civil date from days since 1970-01-01 (proleptic Gregorian) */
    long long z = days + 719468LL;
    long long era = (z >= 0 ? z : z - 146096LL) / 146097LL;
    long long doe = z - era * 146097LL;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long year = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long day = doy - (153 * mp + 2) / 5 + 1;
    long long month = mp < 10 ? mp + 3 : mp - 9;
    if (month <= 2)
        year += 1;
    if (year < 1 || year > 9999)
        Py_RETURN_NONE;
    return PyDateTimeAPI->DateTime_FromDateAndTime((int)year, (int)month, (int)day, (int)(rest / 3600),
                                                   (int)(rest % 3600 / 60), (int)(rest % 60), (int)micro,
                                                   PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
}

/* ---- building entries ----------------------------------------------------------------------- */

typedef struct {
    PyObject *values[F_COUNT];
} Fields;

static void
fields_clear(Fields *fields)
{
    for (int i = 0; i < F_COUNT; i++)
        Py_CLEAR(fields->values[i]);
}

/* A new Entry from fields (borrowed); slots are set as the frozen dataclass's own __init__ does. */
static PyObject *
make_entry(Fields *fields)
{
    PyObject *entry = entry_type->tp_alloc(entry_type, 0);
    if (entry == NULL)
        return NULL;
    for (int i = 0; i < F_COUNT; i++) {
        PyObject *descr = field_descr[i];
        if (Py_TYPE(descr)->tp_descr_set(descr, entry, fields->values[i]) < 0) {
            Py_DECREF(entry);
            return NULL;
        }
    }
    return entry;
}

static PyObject *
make_detail(PyObject *name_type, PyObject *meta_type, int name_deleted, int realloc, PyObject *fnames)
{
    PyObject *detail = detail_type->tp_alloc(detail_type, 5);
    if (detail == NULL)
        return NULL;
    Py_INCREF(name_type);
    PyTuple_SET_ITEM(detail, 0, name_type);
    Py_INCREF(meta_type);
    PyTuple_SET_ITEM(detail, 1, meta_type);
    PyTuple_SET_ITEM(detail, 2, PyBool_FromLong(name_deleted));
    PyTuple_SET_ITEM(detail, 3, PyBool_FromLong(realloc));
    Py_INCREF(fnames);
    PyTuple_SET_ITEM(detail, 4, fnames);
    return detail;
}

static PyObject *
decode(const char *raw)
{
    return PyUnicode_DecodeUTF8(raw, (Py_ssize_t)strlen(raw), "backslashreplace");
}

/* ---- the walk ------------------------------------------------------------------------------- */

typedef struct {
    TSK_INUM_T inum;
    PyObject *parent;  /* "/", "/dir/" */
} Pending;

typedef struct {
    PyObject_HEAD
    FileSystem *owner;
    PyObject *volume, *label, *where, *report;  /* report(where, reason) */
    int ntfs;
    Pending *stack;
    size_t depth, capacity;
    TSK_INUM_T *seen;  /* open-addressing set of directory inodes; 0 is never a directory here */
    size_t seen_count, seen_capacity;
    int seen_zero;
    TSK_INUM_T orphans;
    int have_orphans, in_orphans;
    TSK_FS_DIR *dir;
    size_t index, size;
    PyObject *parent;
    PyObject *queue;  /* NTFS: the further streams of the file just listed */
    Py_ssize_t queued;
    PyObject *recheck;  /* recheck(inum, where): a folder with only TSK's virtual entries, asked of pytsk3 */
    PyObject *relist;   /* relist(inum, parent, orphans): a folder listed through pytsk3 instead */
    TSK_INUM_T inum;    /* the folder being listed */
    size_t listed;      /* its entries other than ".", ".." and TSK's virtual ones */
    size_t yielded;     /* its entries handed out, virtual ones included */
} Walk;

static int
seen_add(Walk *walk, TSK_INUM_T inum)  /* 1 if added, 0 if there already, -1 on no memory */
{
    if (inum == 0) {
        if (walk->seen_zero)
            return 0;
        walk->seen_zero = 1;
        return 1;
    }
    if ((walk->seen_count + 1) * 2 > walk->seen_capacity) {
        size_t capacity = walk->seen_capacity ? walk->seen_capacity * 2 : 1024;
        TSK_INUM_T *table = PyMem_Calloc(capacity, sizeof(TSK_INUM_T));
        if (table == NULL)
            return -1;
        for (size_t i = 0; i < walk->seen_capacity; i++) {
            TSK_INUM_T value = walk->seen[i];
            if (value == 0)
                continue;
            size_t slot = (size_t)((value * 11400714819323198485ULL) >> 29) & (capacity - 1);
            while (table[slot] != 0)
                slot = (slot + 1) & (capacity - 1);
            table[slot] = value;
        }
        PyMem_Free(walk->seen);
        walk->seen = table;
        walk->seen_capacity = capacity;
    }
    size_t slot = (size_t)((inum * 11400714819323198485ULL) >> 29) & (walk->seen_capacity - 1);
    while (walk->seen[slot] != 0) {
        if (walk->seen[slot] == inum)
            return 0;
        slot = (slot + 1) & (walk->seen_capacity - 1);
    }
    walk->seen[slot] = inum;
    walk->seen_count++;
    return 1;
}

static int
push(Walk *walk, TSK_INUM_T inum, PyObject *parent)  /* steals parent */
{
    if (walk->depth == walk->capacity) {
        size_t capacity = walk->capacity ? walk->capacity * 2 : 64;
        Pending *stack = PyMem_Realloc(walk->stack, capacity * sizeof(Pending));
        if (stack == NULL) {
            Py_DECREF(parent);
            PyErr_NoMemory();
            return -1;
        }
        walk->stack = stack;
        walk->capacity = capacity;
    }
    walk->stack[walk->depth].inum = inum;
    walk->stack[walk->depth].parent = parent;
    walk->depth++;
    return 0;
}

/* A problem with a folder: the image reader's own error where it was one, else The Sleuth Kit's words. */
static int
report(Walk *walk, PyObject *parent, const char *what)
{
    PyImage *image = walk->owner->image;
    PyObject *error = image != NULL ? image->error : NULL;
    if (image != NULL)
        image->error = NULL;
    const char *text = tsk_error_get();
    PyObject *where = PyUnicode_Concat(walk->where, parent);
    if (where == NULL) {
        Py_XDECREF(error);
        return -1;
    }
    PyObject *reason = error != NULL
        ? PyUnicode_FromFormat("%s: %U", what, error)
        : PyUnicode_FromFormat("%s: %s", what, text && *text ? text : "unknown error");
    Py_XDECREF(error);
    tsk_error_reset();
    if (reason == NULL) {
        Py_DECREF(where);
        return -1;
    }
    PyObject *result = PyObject_CallFunctionObjArgs(walk->report, where, reason, NULL);
    Py_DECREF(where);
    Py_DECREF(reason);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

static void
clear_reader_error(Walk *walk)
{
    if (walk->owner->image != NULL)
        Py_CLEAR(walk->owner->image->error);
}

/*
 * A folder where libtsk found nothing but TSK's virtual entries (the root of a damaged file system):
 * asked of pytsk3, which reports the problem it has with it, if any. Its entries are out already.
 */
static int
recheck(Walk *walk)
{
    PyObject *where = PyUnicode_Concat(walk->where, walk->parent);
    if (where == NULL)
        return -1;
    PyObject *result = PyObject_CallFunction(walk->recheck, "KO", (unsigned long long)walk->inum, where);
    Py_DECREF(where);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

/*
 * One folder listed through pytsk3 instead: where the image could not be read while libtsk opened it
 * (libtsk 4.11 and pytsk3's 4.15 recover from a failed read differently, so the walk that decides
 * elsewhere decides here too), or where libtsk found nothing at all in it (on a damaged file system
 * 4.11 can take a folder it cannot make sense of for an empty one, where 4.15 says it cannot be read).
 * Its entries are queued, its subfolders pushed as this walk pushes them.
 */
static int
relist(Walk *walk)
{
    long long orphans = walk->have_orphans ? (long long)walk->orphans : -1;
    PyObject *result = PyObject_CallFunction(walk->relist, "KOL", (unsigned long long)walk->inum, walk->parent,
                                             orphans);
    if (result == NULL)
        return -1;
    PyObject *entries, *below;
    int ok = PyArg_ParseTuple(result, "O!O!L", &PyList_Type, &entries, &PyList_Type, &below, &orphans)
        && PyList_SetSlice(walk->queue, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, entries) == 0;
    for (Py_ssize_t i = 0; ok && i < PyList_GET_SIZE(below); i++) {
        unsigned long long inum;
        PyObject *path;
        ok = PyArg_ParseTuple(PyList_GET_ITEM(below, i), "KU", &inum, &path);
        if (!ok)
            break;
        int added = seen_add(walk, (TSK_INUM_T)inum);
        if (added < 0) {
            PyErr_NoMemory();
            ok = 0;
        } else if (added > 0)
            ok = push(walk, (TSK_INUM_T)inum, Py_NewRef(path)) == 0;
    }
    if (ok && orphans >= 0) {
        walk->orphans = (TSK_INUM_T)orphans;
        walk->have_orphans = 1;
    }
    Py_DECREF(result);
    return ok ? 0 : -1;
}

/* A Ctrl-C that arrived while TSK was reading is raised now that TSK has returned. */
static int
raise_failure(Walk *walk)
{
    PyImage *image = walk->owner->image;
    if (image == NULL || image->failure == NULL)
        return 0;
    PyObject *failure = image->failure;
    image->failure = NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(failure), failure);
    Py_DECREF(failure);
    return -1;
}

static PyObject *
char_for(PyObject **cache, const char *chars, unsigned int index)
{
    if (index >= 12)
        return dash;
    if (cache[index] == NULL) {
        cache[index] = PyUnicode_FromStringAndSize(chars + index, 1);
        if (cache[index] == NULL)
            return NULL;
        PyUnicode_InternInPlace(&cache[index]);
    }
    return cache[index];
}

static PyObject *
meta_kind(unsigned int type)
{
    switch (type) {
    case TSK_FS_META_TYPE_REG: return kind_file;
    case TSK_FS_META_TYPE_DIR: return kind_dir;
    case TSK_FS_META_TYPE_LNK: return kind_link;
    default: return kind_other;
    }
}

static PyObject *
name_kind(unsigned int type)
{
    switch (type) {
    case TSK_FS_NAME_TYPE_REG: return kind_file;
    case TSK_FS_NAME_TYPE_DIR: return kind_dir;
    case TSK_FS_NAME_TYPE_LNK: return kind_link;
    default: return kind_other;
    }
}

/* The four times of meta, equal ones sharing one datetime (as tsk.py does). */
static int
times_of(const TSK_FS_META *meta, Fields *f)
{
    long long mt = meta->mtime, at = meta->atime, ct = meta->ctime, crt = meta->crtime;
    unsigned long mtn = mt ? meta->mtime_nano : 0, atn = at ? meta->atime_nano : 0;
    unsigned long ctn = ct ? meta->ctime_nano : 0, crn = crt ? meta->crtime_nano : 0;
    if ((f->values[F_MTIME] = utc_time(mt, mtn)) == NULL)
        return -1;
    if (at == mt && atn == mtn) {
        Py_INCREF(f->values[F_MTIME]);
        f->values[F_ATIME] = f->values[F_MTIME];
    } else if ((f->values[F_ATIME] = utc_time(at, atn)) == NULL)
        return -1;
    if (ct == mt && ctn == mtn) {
        Py_INCREF(f->values[F_MTIME]);
        f->values[F_CTIME] = f->values[F_MTIME];
    } else if ((f->values[F_CTIME] = utc_time(ct, ctn)) == NULL)
        return -1;
    if (crt == mt && crn == mtn) {
        Py_INCREF(f->values[F_MTIME]);
        f->values[F_CRTIME] = f->values[F_MTIME];
    } else if (crt == ct && crn == ctn) {
        Py_INCREF(f->values[F_CTIME]);
        f->values[F_CRTIME] = f->values[F_CTIME];
    } else if ((f->values[F_CRTIME] = utc_time(crt, crn)) == NULL)
        return -1;
    return 0;
}

/*
 * The fields of one listed name, with its locator left unset. Sets *name_char, *meta_char (borrowed),
 * *name_deleted and *realloc for the TskDetail and the decision to descend.
 */
static int
base_fields(Walk *walk, const TSK_FS_NAME *name, const TSK_FS_META *meta, PyObject *text, PyObject *path,
            Fields *f, PyObject **name_char, PyObject **meta_char, int *name_deleted, int *realloc)
{
    int deleted = (name->flags & TSK_FS_NAME_FLAG_UNALLOC) != 0;
    *name_deleted = deleted;
    *name_char = char_for(name_chars, NAME_TYPE_CHARS, (unsigned int)name->type);
    if (*name_char == NULL)
        return -1;
    Py_INCREF(path);
    f->values[F_PATH] = path;
    Py_INCREF(text);
    f->values[F_NAME] = text;
    Py_INCREF(walk->volume);
    f->values[F_VOLUME] = walk->volume;
    Py_INCREF(walk->label);
    f->values[F_FILESYSTEM] = walk->label;
    if ((f->values[F_INODE] = PyLong_FromUnsignedLongLong((unsigned long long)name->meta_addr)) == NULL)
        return -1;
    f->values[F_STREAM] = Py_NewRef(Py_None);
    if (meta == NULL) {
        *meta_char = Py_None;
        *realloc = 0;
        f->values[F_TYPE] = Py_NewRef(name_kind((unsigned int)name->type));
        f->values[F_SIZE] = PyLong_FromLong(0);
        f->values[F_DELETED] = PyBool_FromLong(deleted);
        for (int i = F_MTIME; i <= F_CRTIME; i++)
            f->values[i] = Py_NewRef(Py_None);
        f->values[F_LINK_TARGET] = Py_NewRef(Py_None);
        f->values[F_MODE] = Py_NewRef(Py_None);
        f->values[F_UID] = Py_NewRef(Py_None);
        f->values[F_GID] = Py_NewRef(Py_None);
        return f->values[F_SIZE] == NULL ? -1 : 0;
    }
    *meta_char = char_for(meta_chars, META_TYPE_CHARS, (unsigned int)meta->type);
    if (*meta_char == NULL)
        return -1;
    *realloc = deleted && (meta->flags & TSK_FS_META_FLAG_ALLOC) != 0;
    f->values[F_TYPE] = Py_NewRef(meta_kind((unsigned int)meta->type));
    f->values[F_DELETED] = PyBool_FromLong(deleted || (meta->flags & TSK_FS_META_FLAG_UNALLOC) != 0);
    if ((f->values[F_SIZE] = PyLong_FromLongLong((long long)meta->size)) == NULL)
        return -1;
    if (times_of(meta, f) < 0)
        return -1;
    if (meta->type == TSK_FS_META_TYPE_LNK && meta->link != NULL && meta->link[0] != '\0') {
        if ((f->values[F_LINK_TARGET] = decode(meta->link)) == NULL)
            return -1;
    } else
        f->values[F_LINK_TARGET] = Py_NewRef(Py_None);
    if ((f->values[F_MODE] = PyLong_FromUnsignedLong((unsigned long)meta->mode)) == NULL)
        return -1;
    if ((f->values[F_UID] = PyLong_FromUnsignedLongLong((unsigned long long)meta->uid)) == NULL)
        return -1;
    if ((f->values[F_GID] = PyLong_FromUnsignedLongLong((unsigned long long)meta->gid)) == NULL)
        return -1;
    return 0;
}

static PyObject *
locator(PyObject *volume, TSK_INUM_T addr, int atype, int aid, PyObject *detail)
{
    PyObject *tuple = PyTuple_New(5);
    if (tuple == NULL)
        return NULL;
    Py_INCREF(volume);
    PyTuple_SET_ITEM(tuple, 0, volume);
    PyObject *number = PyLong_FromUnsignedLongLong((unsigned long long)addr);
    if (number == NULL) {
        Py_DECREF(tuple);
        return NULL;
    }
    PyTuple_SET_ITEM(tuple, 1, number);
    if (atype < 0) {
        PyTuple_SET_ITEM(tuple, 2, Py_NewRef(minus_one));
        PyTuple_SET_ITEM(tuple, 3, Py_NewRef(minus_one));
    } else {
        PyObject *t = PyLong_FromLong(atype), *i = t ? PyLong_FromLong(aid) : NULL;
        if (i == NULL) {
            Py_XDECREF(t);
            Py_DECREF(tuple);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, 2, t);
        PyTuple_SET_ITEM(tuple, 3, i);
    }
    Py_INCREF(detail);
    PyTuple_SET_ITEM(tuple, 4, detail);
    return tuple;
}

typedef struct {
    int type, id;
    long long size;
    PyObject *name;  /* None for the default stream */
} Stream;

/*
 * NTFS: one entry per $DATA stream and per index root other than a folder's $I30, as fls prints them;
 * the first goes out now, the others wait in the queue. The $FILE_NAME attributes go into the first
 * entry's detail. Returns the first entry (new reference).
 */
static PyObject *
ntfs_entries(Walk *walk, TSK_FS_FILE *file, TSK_INUM_T addr, Fields *f, PyObject *detail,
             PyObject *name_char, PyObject *meta_char, int name_deleted, int realloc)
{
    PyObject *result = NULL, *fnames = NULL, *first_detail = NULL;
    Stream *streams = NULL;
    int count = 0;
    int attrs = tsk_fs_file_attr_getsize(file);
    if (attrs < 0) {
        attrs = 0;  /* attributes that cannot be listed leave the entry as TSK knows it from its name */
        tsk_error_reset();
    }
    if ((fnames = PyList_New(0)) == NULL)
        return NULL;
    if (attrs > 0 && (streams = PyMem_Calloc((size_t)attrs, sizeof(Stream))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (int i = 0; i < attrs; i++) {
        const TSK_FS_ATTR *attr = tsk_fs_file_attr_get_idx(file, i);
        if (attr == NULL) {
            tsk_error_reset();
            break;
        }
        int type = (int)attr->type;
        if (type == TSK_FS_ATTR_TYPE_NTFS_DATA || type == TSK_FS_ATTR_TYPE_NTFS_IDXROOT) {
            PyObject *name = Py_None;
            if (attr->name != NULL && attr->name[0] != '\0'
                && !(type == TSK_FS_ATTR_TYPE_NTFS_IDXROOT && strcmp(attr->name, "$I30") == 0)) {
                if ((name = decode(attr->name)) == NULL)
                    goto done;
            } else
                Py_INCREF(name);
            streams[count].type = type;
            streams[count].id = (int)attr->id;
            streams[count].size = (long long)attr->size;
            streams[count].name = name;
            count++;
        } else if (type == TSK_FS_ATTR_TYPE_NTFS_FNAME) {
            PyObject *pair = Py_BuildValue("(iL)", (int)attr->id, (long long)attr->size);
            if (pair == NULL || PyList_Append(fnames, pair) < 0) {
                Py_XDECREF(pair);
                goto done;
            }
            Py_DECREF(pair);
        }
    }
    if (PyList_GET_SIZE(fnames) > 0) {
        PyObject *pairs = PyList_AsTuple(fnames);
        if (pairs == NULL)
            goto done;
        first_detail = make_detail(name_char, meta_char, name_deleted, realloc, pairs);
        Py_DECREF(pairs);
        if (first_detail == NULL)
            goto done;
    } else
        first_detail = Py_NewRef(detail);
    if (count == 0) {
        if ((f->values[F_LOCATOR] = locator(walk->volume, addr, -1, -1, first_detail)) == NULL)
            goto done;
        result = make_entry(f);
        goto done;
    }
    PyObject *base_type = f->values[F_TYPE], *base_size = f->values[F_SIZE], *base_inode = f->values[F_INODE];
    for (int i = 0; i < count; i++) {
        Fields s = *f;  /* borrowed, but for the fields a stream changes */
        PyObject *kind = streams[i].name != Py_None && streams[i].type == TSK_FS_ATTR_TYPE_NTFS_DATA
            ? kind_file : base_type;
        PyObject *size = PyLong_FromLongLong(streams[i].size);
        PyObject *inode = PyUnicode_FromFormat("%llu-%d-%d", (unsigned long long)addr, streams[i].type,
                                               streams[i].id);
        PyObject *loc = locator(walk->volume, addr, streams[i].type, streams[i].id,
                                i == 0 ? first_detail : detail);
        PyObject *entry = NULL;
        if (size != NULL && inode != NULL && loc != NULL) {
            s.values[F_TYPE] = kind;
            s.values[F_SIZE] = size;
            s.values[F_INODE] = inode;
            s.values[F_STREAM] = streams[i].name;
            s.values[F_LOCATOR] = loc;
            entry = make_entry(&s);
        }
        Py_XDECREF(size);
        Py_XDECREF(inode);
        Py_XDECREF(loc);
        if (entry == NULL)
            goto done;
        if (i == 0)
            result = entry;
        else if (PyList_Append(walk->queue, entry) < 0) {
            Py_DECREF(entry);
            goto done;
        } else
            Py_DECREF(entry);
    }
    (void)base_size;
    (void)base_inode;
done:
    if (result == NULL || PyErr_Occurred()) {
        Py_CLEAR(result);
        PyList_SetSlice(walk->queue, 0, PY_SSIZE_T_MAX, NULL);
    }
    for (int i = 0; i < count; i++)
        Py_XDECREF(streams[i].name);
    PyMem_Free(streams);
    Py_XDECREF(fnames);
    Py_XDECREF(first_detail);
    return result;
}

/* The entry (or first NTFS stream) of one listed name; descends into it if it is a folder. */
static PyObject *
list_one(Walk *walk, TSK_FS_FILE *file)
{
    const TSK_FS_NAME *name = file->name;
    if (name == NULL)
        return Py_NewRef(Py_None);  /* tsk_fs_dir_get always gives a name; nothing to list without one */
    const char *raw = name->name ? name->name : "";
    if ((raw[0] == '.' && raw[1] == '\0') || (raw[0] == '.' && raw[1] == '.' && raw[2] == '\0'))
        return Py_NewRef(Py_None);  /* skipped */
    const TSK_FS_META *meta = file->meta;
    TSK_FS_FILE *orphan = NULL;
    if (meta == NULL && walk->in_orphans) {
        /* an orphan file's name was made by TSK from this very inode, so the metadata is its own */
        if (name->meta_addr) {
            orphan = tsk_fs_file_open_meta(walk->owner->fs, NULL, name->meta_addr);
            if (orphan == NULL)
                tsk_error_reset();
            else
                meta = orphan->meta;
        }
    } else if (name->type == TSK_FS_NAME_TYPE_VIRT_DIR && strcmp(raw, "$OrphanFiles") == 0) {
        walk->orphans = name->meta_addr;
        walk->have_orphans = 1;
    }
    PyObject *result = NULL, *text = NULL, *path = NULL, *detail = NULL;
    Fields f = {{0}};
    PyObject *name_char, *meta_char;
    int name_deleted, realloc;
    if ((text = decode(raw)) == NULL || (path = PyUnicode_Concat(walk->parent, text)) == NULL)
        goto done;
    if (base_fields(walk, name, meta, text, path, &f, &name_char, &meta_char, &name_deleted, &realloc) < 0)
        goto done;
    if ((detail = make_detail(name_char, meta_char, name_deleted, realloc, empty_tuple)) == NULL)
        goto done;
    if (walk->ntfs && meta != NULL)
        result = ntfs_entries(walk, file, name->meta_addr, &f, detail, name_char, meta_char, name_deleted,
                              realloc);
    else if ((f.values[F_LOCATOR] = locator(walk->volume, name->meta_addr, -1, -1, detail)) != NULL)
        result = make_entry(&f);
    if (result == NULL)
        goto done;
    /* descend as TSK's own directory walk does: a folder by name and by metadata, whose name is
       allocated, or deleted together with its metadata (not reallocated) */
    const char *m = meta_char == Py_None ? "" : PyUnicode_AsUTF8(meta_char);
    const char *n = PyUnicode_AsUTF8(name_char);
    if (m != NULL && n != NULL && (m[0] == 'd' || m[0] == 'V') && (n[0] == 'd' || n[0] == '-' || n[0] == 'V')
        && !realloc) {
        int added = seen_add(walk, name->meta_addr);
        if (added < 0) {
            PyErr_NoMemory();
            Py_CLEAR(result);
        } else if (added > 0) {
            PyObject *below = PyUnicode_FromFormat("%U/", path);
            if (below == NULL || push(walk, name->meta_addr, below) < 0)
                Py_CLEAR(result);
        }
    }
done:
    if (orphan != NULL)
        tsk_fs_file_close(orphan);
    fields_clear(&f);
    Py_XDECREF(text);
    Py_XDECREF(path);
    Py_XDECREF(detail);
    return result;
}

static void
close_dir(Walk *walk)
{
    if (walk->dir != NULL) {
        tsk_fs_dir_close(walk->dir);
        walk->dir = NULL;
    }
    Py_CLEAR(walk->parent);
}

static PyObject *
walk_next(Walk *walk)
{
    if (walk->queue == NULL || walk->report == NULL || walk->recheck == NULL || walk->relist == NULL)
        return NULL;  /* cleared by the garbage collector: the walk is over */
    for (;;) {
        if (walk->queued < PyList_GET_SIZE(walk->queue)) {
            PyObject *entry = Py_NewRef(PyList_GET_ITEM(walk->queue, walk->queued));
            walk->queued++;
            if (walk->queued == PyList_GET_SIZE(walk->queue)) {
                PyList_SetSlice(walk->queue, 0, PY_SSIZE_T_MAX, NULL);
                walk->queued = 0;
            }
            return entry;
        }
        if (walk->owner->fs == NULL || walk->owner->closed) {
            PyErr_SetString(PyExc_ValueError, "the file system was closed");
            return NULL;
        }
        if (walk->dir == NULL) {
            if (walk->depth == 0)
                return NULL;  /* the end */
            walk->depth--;
            TSK_INUM_T inum = walk->stack[walk->depth].inum;
            walk->parent = walk->stack[walk->depth].parent;  /* owned now */
            walk->in_orphans = walk->have_orphans && inum == walk->orphans;
            walk->inum = inum;
            walk->listed = 0;
            walk->yielded = 0;
            clear_reader_error(walk);
            tsk_error_reset();
            walk->dir = tsk_fs_dir_open_meta(walk->owner->fs, inum);
            if (raise_failure(walk) < 0) {
                close_dir(walk);
                return NULL;
            }
            if (walk->owner->image != NULL && walk->owner->image->error != NULL) {
                /* the image failed while libtsk read the folder: pytsk3 lists it (or says why not) */
                clear_reader_error(walk);
                int failed = relist(walk);
                close_dir(walk);
                if (failed < 0)
                    return NULL;
                continue;
            }
            if (walk->dir == NULL) {
                int failed = report(walk, walk->parent, "directory cannot be read");
                close_dir(walk);
                if (failed < 0)
                    return NULL;
                continue;
            }
            walk->index = 0;
            walk->size = tsk_fs_dir_getsize(walk->dir);
        }
        if (walk->index >= walk->size) {
            int failed = 0;
            if (walk->listed == 0 && !walk->in_orphans)
                failed = walk->yielded == 0 ? relist(walk) : recheck(walk);
            close_dir(walk);
            if (failed < 0)
                return NULL;
            continue;
        }
        tsk_error_reset();
        TSK_FS_FILE *file = tsk_fs_dir_get(walk->dir, walk->index++);
        if (raise_failure(walk) < 0) {
            if (file != NULL)
                tsk_fs_file_close(file);
            return NULL;
        }
        if (file == NULL) {
            int failed = report(walk, walk->parent, "directory listing stops early");
            close_dir(walk);
            if (failed < 0)
                return NULL;
            continue;
        }
        int is_virtual = file->name != NULL
            && (file->name->type == TSK_FS_NAME_TYPE_VIRT || file->name->type == TSK_FS_NAME_TYPE_VIRT_DIR);
        PyObject *entry = list_one(walk, file);
        tsk_fs_file_close(file);
        if (entry == NULL || raise_failure(walk) < 0) {
            Py_XDECREF(entry);
            return NULL;
        }
        if (entry == Py_None) {  /* "." or "..": the folder was read */
            Py_DECREF(entry);
            walk->listed++;
            continue;
        }
        if (!is_virtual)
            walk->listed++;
        walk->yielded++;
        return entry;
    }
}

static void
walk_dealloc(Walk *walk)
{
    PyObject_GC_UnTrack(walk);
    close_dir(walk);
    for (size_t i = 0; i < walk->depth; i++)
        Py_DECREF(walk->stack[i].parent);
    PyMem_Free(walk->stack);
    PyMem_Free(walk->seen);
    Py_XDECREF(walk->owner);
    Py_XDECREF(walk->volume);
    Py_XDECREF(walk->label);
    Py_XDECREF(walk->where);
    Py_XDECREF(walk->report);
    Py_XDECREF(walk->recheck);
    Py_XDECREF(walk->relist);
    Py_XDECREF(walk->queue);
    PyObject_GC_Del(walk);
}

static int
walk_traverse(Walk *walk, visitproc visit, void *arg)
{
    Py_VISIT(walk->owner);
    Py_VISIT(walk->report);
    Py_VISIT(walk->recheck);
    Py_VISIT(walk->relist);
    Py_VISIT(walk->queue);
    return 0;
}

static int
walk_clear(Walk *walk)
{
    Py_CLEAR(walk->report);
    Py_CLEAR(walk->recheck);
    Py_CLEAR(walk->relist);
    Py_CLEAR(walk->queue);
    return 0;
}

static PyTypeObject WalkType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "evidence_intake.evidence._tskwalk.Walk",
    .tp_basicsize = sizeof(Walk),
    .tp_dealloc = (destructor)walk_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)walk_traverse,
    .tp_clear = (inquiry)walk_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)walk_next,
    .tp_doc = "An iterator over the entries of one file system.",
};

static PyObject *
filesystem_walk(FileSystem *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"volume", "label", "ntfs", "report", "recheck", "relist", NULL};
    PyObject *volume, *label, *callback, *recheck_callback, *relist_callback;
    int ntfs;
    if (entry_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "UUpOOO", keywords, &volume, &label, &ntfs, &callback,
                                     &recheck_callback, &relist_callback))
        return NULL;
    if (self->fs == NULL || self->closed) {
        PyErr_SetString(PyExc_ValueError, "the file system was closed");
        return NULL;
    }
    Walk *walk = PyObject_GC_New(Walk, &WalkType);
    if (walk == NULL)
        return NULL;
    memset((char *)walk + sizeof(PyObject), 0, sizeof(Walk) - sizeof(PyObject));
    Py_INCREF(self);
    walk->owner = self;
    Py_INCREF(volume);
    walk->volume = volume;
    Py_INCREF(label);
    walk->label = label;
    walk->ntfs = ntfs;
    Py_INCREF(callback);
    walk->report = callback;
    Py_INCREF(recheck_callback);
    walk->recheck = recheck_callback;
    Py_INCREF(relist_callback);
    walk->relist = relist_callback;
    walk->where = PyUnicode_GET_LENGTH(volume) ? PyUnicode_FromFormat("%U:", volume) : PyUnicode_FromString("");
    walk->queue = PyList_New(0);
    PyObject_GC_Track(walk);
    if (walk->where == NULL || walk->queue == NULL) {
        Py_DECREF(walk);
        return NULL;
    }
    TSK_INUM_T root = self->fs->root_inum;
    PyObject *slash = PyUnicode_FromString("/");
    if (slash == NULL || seen_add(walk, root) < 0 || push(walk, root, slash) < 0) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        Py_DECREF(walk);
        return NULL;
    }
    return (PyObject *)walk;
}

static PyObject *
filesystem_close(FileSystem *self, PyObject *unused)
{
    (void)unused;
    self->closed = 1;
    Py_RETURN_NONE;
}

static PyMethodDef filesystem_methods[] = {
    {"walk", (PyCFunction)(void (*)(void))filesystem_walk, METH_VARARGS | METH_KEYWORDS,
     "walk(volume, label, ntfs, report, recheck, relist) -> iterator of Entry; report(where, reason) for\n"
     "each problem; recheck(inum, where) and relist(inum, parent, orphans) for folders pytsk3 decides"},
    {"close", (PyCFunction)filesystem_close, METH_NOARGS, "Let go of the file system and the image."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef filesystem_getset[] = {
    {"ftype", (getter)filesystem_ftype, NULL, "The file system type libtsk found (TSK_FS_TYPE_ENUM).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject FileSystemType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "evidence_intake.evidence._tskwalk.FileSystem",
    .tp_basicsize = sizeof(FileSystem),
    .tp_dealloc = (destructor)filesystem_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "FileSystem(read_at, size, offset, ftype): one file system, read through read_at.",
    .tp_methods = filesystem_methods,
    .tp_getset = filesystem_getset,
    .tp_init = (initproc)filesystem_init,
    .tp_new = PyType_GenericNew,
};

static PyObject *
utc_time_py(PyObject *self, PyObject *args)
{
    long long seconds;
    unsigned long nanoseconds;
    if (!PyArg_ParseTuple(args, "Lk", &seconds, &nanoseconds))
        return NULL;
    return utc_time(seconds, nanoseconds);
}

static PyMethodDef module_methods[] = {
    {"utc_time", utc_time_py, METH_VARARGS,
     "utc_time(seconds, nanoseconds): the datetime the walk gives for a TSK time (None if unset)"},
    {"configure", configure, METH_VARARGS,
     "configure(Entry, TskDetail, file, directory, link, other): the classes entries are built from"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tskwalk", "The Sleuth Kit file system walk, in C.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__tskwalk(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    if (PyType_Ready(&FileSystemType) < 0 || PyType_Ready(&WalkType) < 0)
        return NULL;
    dash = PyUnicode_InternFromString("-");
    minus_one = PyLong_FromLong(-1);
    empty_tuple = PyTuple_New(0);
    if (dash == NULL || minus_one == NULL || empty_tuple == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FileSystemType);
    if (PyModule_AddObject(m, "FileSystem", (PyObject *)&FileSystemType) < 0
        || PyModule_AddStringConstant(m, "TSK_VERSION", tsk_version_get_str()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
