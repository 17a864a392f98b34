/* The optional compiled hot path (see speedups.py; the pure Python code stays the reference).
 *
 * run_batch(engine, c, reqs): engine/call.py Engine.run_batch, step for step: the same Python
 * handlers and the same Python methods for everything but the inline steps, read in the same
 * order, with the same effects; runs of native GET/SET/INCR check their preconditions once
 * and write their effects back before any Python code runs (see "runs of native commands").
 *
 * Encoder(resp3, fallback): protocol/reply.py's encode2/encode3 for the common reply shapes
 * (bytes, str, int, float, None, lists/tuples of them, nested); every other type (checked by exact
 * type: Status, SetReply, Push, bool, dict, RedisError, ...) goes to ``fallback``, the
 * Python encoder, so the bytes are the same.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <time.h>
#include <string.h>
#include <math.h>
#include <stddef.h>
#include <limits.h>
#include <structmember.h>

/* ------------------------------------------------------------------ output buffer */

typedef struct {
    char *p;
    Py_ssize_t len, cap;
    char small[256];
} Buf;

static void buf_init(Buf *b) { b->p = b->small; b->len = 0; b->cap = sizeof(b->small); }
static void buf_free(Buf *b) { if (b->p != b->small) PyMem_Free(b->p); }

static int buf_grow(Buf *b, Py_ssize_t need) {
    Py_ssize_t cap = b->cap;
    if (need > PY_SSIZE_T_MAX - b->len) { PyErr_NoMemory(); return -1; }
    while (cap - b->len < need)
        cap = cap > PY_SSIZE_T_MAX / 2 ? PY_SSIZE_T_MAX : cap * 2;
    char *np;
    if (b->p == b->small) {
        np = PyMem_Malloc(cap);
        if (np != NULL) memcpy(np, b->p, b->len);
    } else {
        np = PyMem_Realloc(b->p, cap);
    }
    if (np == NULL) { PyErr_NoMemory(); return -1; }
    b->p = np;
    b->cap = cap;
    return 0;
}

static inline int buf_add(Buf *b, const char *s, Py_ssize_t n) {
    if (b->cap - b->len < n && buf_grow(b, n) < 0) return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* the decimal digits of n into out (at least 21 bytes), as %lld prints them; returns their
 * count. snprintf cost ~600 instructions a call: half of an LRANGE of 100 short strings. */
static inline int fmt_sign_ull(char *out, int neg, unsigned long long u) {
    char tmp[24];
    int i = sizeof(tmp);
    do { tmp[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (neg) tmp[--i] = '-';
    int k = (int)sizeof(tmp) - i;
    memcpy(out, tmp + i, k);
    return k;
}

static inline int fmt_ll(char *out, long long n) {
    return fmt_sign_ull(out, n < 0, n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n);
}

/* "<prefix><n>\r\n" into out (at least 24 bytes); returns its length */
static inline int fmt_header(char *out, char prefix, long long n) {
    out[0] = prefix;
    int k = 1 + fmt_ll(out + 1, n);
    out[k] = '\r';
    out[k + 1] = '\n';
    return k + 2;
}

static inline int buf_header(Buf *b, char prefix, long long n) {
    char tmp[32];
    return buf_add(b, tmp, fmt_header(tmp, prefix, n));
}

static PyObject *buf_bytes(Buf *b) { return PyBytes_FromStringAndSize(b->p, b->len); }

/* the UTF-8 (surrogateescape) bytes of a str: borrowed from the str when it is ASCII, else
 * a new bytes in *tmp (lone surrogates outside U+DC80..U+DCFF raise, as in Python) */
static int str_utf8(PyObject *s, const char **data, Py_ssize_t *n, PyObject **tmp) {
    *tmp = NULL;
    if (PyUnicode_READY(s) < 0) return -1;
    if (PyUnicode_IS_ASCII(s)) {
        *data = (const char *)PyUnicode_DATA(s);
        *n = PyUnicode_GET_LENGTH(s);
        return 0;
    }
    *tmp = PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape");
    if (*tmp == NULL) return -1;
    *data = PyBytes_AS_STRING(*tmp);
    *n = PyBytes_GET_SIZE(*tmp);
    return 0;
}

static int buf_bulk(Buf *b, PyObject *s) {
    const char *data; Py_ssize_t n; PyObject *tmp;
    if (str_utf8(s, &data, &n, &tmp) < 0) return -1;
    int r = buf_header(b, '$', n);
    if (r == 0) r = buf_add(b, data, n);
    if (r == 0) r = buf_add(b, "\r\n", 2);
    Py_XDECREF(tmp);
    return r;
}

/* b"$%d\r\n%s\r\n" of a str, as one bytes object */
static PyObject *bulk_bytes(PyObject *s) {
    const char *data; Py_ssize_t n; PyObject *tmp;
    if (str_utf8(s, &data, &n, &tmp) < 0) return NULL;
    char head[32];
    int k = fmt_header(head, '$', n);
    PyObject *r = PyBytes_FromStringAndSize(NULL, k + n + 2);
    if (r != NULL) {
        char *p = PyBytes_AS_STRING(r);
        memcpy(p, head, k);
        memcpy(p + k, data, n);
        p[k + n] = '\r';
        p[k + n + 1] = '\n';
    }
    Py_XDECREF(tmp);
    return r;
}

static int buf_int(Buf *b, PyObject *v) {
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (!overflow) return buf_header(b, ':', x);
    PyObject *s = PyObject_Str(v);         /* beyond 64 bits: the digits, as %d prints them */
    if (s == NULL) return -1;
    Py_ssize_t n;
    const char *d = PyUnicode_AsUTF8AndSize(s, &n);
    int r = d == NULL ? -1 : 0;
    if (r == 0) r = buf_add(b, ":", 1);
    if (r == 0) r = buf_add(b, d, n);
    if (r == 0) r = buf_add(b, "\r\n", 2);
    Py_DECREF(s);
    return r;
}

static PyObject *int_bytes(PyObject *v) {
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred()) return NULL;
    if (!overflow) {
        char tmp[32];
        int k = fmt_header(tmp, ':', x);
        return PyBytes_FromStringAndSize(tmp, k);
    }
    Buf b; buf_init(&b);
    PyObject *r = buf_int(&b, v) < 0 ? NULL : buf_bytes(&b);
    buf_free(&b);
    return r;
}

/* ------------------------------------------------------------------ Encoder */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int resp3;
    PyObject *fallback;         /* the Python encoder: every type not handled here */
} Encoder;

static PyTypeObject EncoderType;

static int buf_fallback(Buf *b, Encoder *enc, PyObject *v) {
    PyObject *r = PyObject_CallOneArg(enc->fallback, v);
    if (r == NULL) return -1;
    int rc;
    if (PyBytes_CheckExact(r)) {
        rc = buf_add(b, PyBytes_AS_STRING(r), PyBytes_GET_SIZE(r));
    } else {                    /* b"".join takes any bytes-like part */
        Py_buffer view;
        rc = PyObject_GetBuffer(r, &view, PyBUF_SIMPLE);
        if (rc == 0) {
            rc = buf_add(b, view.buf, view.len);
            PyBuffer_Release(&view);
        }
    }
    Py_DECREF(r);
    return rc;
}

static int buf_value(Buf *b, Encoder *enc, PyObject *v);

static int buf_array(Buf *b, Encoder *enc, PyObject *v) {
    int is_list = PyList_CheckExact(v);
    Py_ssize_t n = is_list ? PyList_GET_SIZE(v) : PyTuple_GET_SIZE(v);
    if (buf_header(b, '*', n) < 0) return -1;
    if (Py_EnterRecursiveCall(" while encoding a reply")) return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0; i++) {
        PyObject *x;
        if (is_list) {
            if (i >= PyList_GET_SIZE(v)) break;
            x = PyList_GET_ITEM(v, i);
        } else {
            if (i >= n) break;
            x = PyTuple_GET_ITEM(v, i);
        }
        Py_INCREF(x);
        rc = buf_value(b, enc, x);
        Py_DECREF(x);
    }
    Py_LeaveRecursiveCall();
    return rc;
}

/* a float as protocol/reply.py's enc_float: format_double's text (inf/-inf; integral values
 * under 1e17 as digits, -0 kept; else %.17g by Python's own formatter), as a RESP3 double or
 * a RESP2 bulk string; NaN (never a Redis score) goes to the fallback */
static int buf_double(Buf *b, Encoder *enc, PyObject *v) {
    double x = PyFloat_AS_DOUBLE(v);
    char tmp[40];
    const char *text = tmp;
    char *owned = NULL;
    int k;
    if (isnan(x)) return buf_fallback(b, enc, v);
    if (isinf(x)) {
        text = x > 0 ? "inf" : "-inf";
        k = x > 0 ? 3 : 4;
    } else if (fabs(x) < 1e17 && x == (double)(long long)x) {
        if (x == 0 && signbit(x)) { text = "-0"; k = 2; }
        else k = fmt_ll(tmp, (long long)x);
    } else {
        owned = PyOS_double_to_string(x, 'g', 17, 0, NULL);
        if (owned == NULL) return -1;
        text = owned;
        k = (int)strlen(owned);
    }
    int rc = enc->resp3 ? buf_add(b, ",", 1) : buf_header(b, '$', k);
    if (rc == 0) rc = buf_add(b, text, k);
    if (rc == 0) rc = buf_add(b, "\r\n", 2);
    if (owned != NULL) PyMem_Free(owned);
    return rc;
}

static int buf_value(Buf *b, Encoder *enc, PyObject *v) {
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyFloat_Type) return buf_double(b, enc, v);
    if (t == &PyUnicode_Type) return buf_bulk(b, v);
    if (t == &PyBytes_Type) return buf_add(b, PyBytes_AS_STRING(v), PyBytes_GET_SIZE(v));
    if (t == &PyLong_Type) return buf_int(b, v);
    if (v == Py_None) return enc->resp3 ? buf_add(b, "_\r\n", 3) : buf_add(b, "$-1\r\n", 5);
    if (t == &PyList_Type || t == &PyTuple_Type) return buf_array(b, enc, v);
    return buf_fallback(b, enc, v);
}

static PyObject *encode_value(Encoder *enc, PyObject *v) {
    PyTypeObject *t = Py_TYPE(v);
    if (t == &PyBytes_Type) { Py_INCREF(v); return v; }
    if (t == &PyUnicode_Type) return bulk_bytes(v);
    if (t == &PyLong_Type) return int_bytes(v);
    if (v == Py_None)
        return enc->resp3 ? PyBytes_FromStringAndSize("_\r\n", 3) : PyBytes_FromStringAndSize("$-1\r\n", 5);
    if (t == &PyList_Type || t == &PyTuple_Type || t == &PyFloat_Type) {
        Buf b; buf_init(&b);
        PyObject *r = buf_value(&b, enc, v) < 0 ? NULL : buf_bytes(&b);
        buf_free(&b);
        return r;
    }
    return PyObject_CallOneArg(enc->fallback, v);
}

static PyObject *Encoder_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kw != NULL && PyTuple_GET_SIZE(kw))) {
        PyErr_SetString(PyExc_TypeError, "encode() takes exactly one argument");
        return NULL;
    }
    return encode_value((Encoder *)self, args[0]);
}

static PyObject *Encoder_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    int resp3;
    PyObject *fallback;
    static char *kwlist[] = {"resp3", "fallback", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "pO:Encoder", kwlist, &resp3, &fallback))
        return NULL;
    Encoder *self = (Encoder *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->vectorcall = Encoder_vectorcall;
    self->resp3 = resp3;
    Py_INCREF(fallback);
    self->fallback = fallback;
    return (PyObject *)self;
}

static int Encoder_traverse(Encoder *self, visitproc visit, void *arg) {
    Py_VISIT(self->fallback);
    return 0;
}

static int Encoder_clear(Encoder *self) {
    Py_CLEAR(self->fallback);
    return 0;
}

static void Encoder_dealloc(Encoder *self) {
    PyObject_GC_UnTrack(self);
    Encoder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Encoder_repr(Encoder *self) {
    return PyUnicode_FromFormat("<compiled encode%d>", self->resp3 ? 3 : 2);
}

static PyTypeObject EncoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pickledbd.daemon._speedups.Encoder",
    .tp_basicsize = sizeof(Encoder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Encoder(resp3, fallback): a reply encoder; types it does not know go to fallback",
    .tp_new = Encoder_new,
    .tp_traverse = (traverseproc)Encoder_traverse,
    .tp_clear = (inquiry)Encoder_clear,
    .tp_dealloc = (destructor)Encoder_dealloc,
    .tp_repr = (reprfunc)Encoder_repr,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Encoder, vectorcall),
};

/* ------------------------------------------------------------------ run_batch */

/* what configure() is given by engine/call.py */
static PyObject *RedisError_cls, *BlockOn_cls, *arity_error_fn;
static long long out_chunk;

static PyObject *empty_bytes;

#define NAMES(X) \
    X(out) X(table) X(by_name) X(ks) X(propagation) X(stats) X(monitors) X(subcommands) \
    X(special) X(gated) X(process) X(arity) X(reject) X(fullname) X(last_command) X(dirty) \
    X(read_cmd) X(readonly) X(handler) X(failed_calls) X(error_reply) X(internal_error) \
    X(blocking) X(park) X(calls) X(ns) X(slow_ns) X(slow_command) X(prop) X(pending) \
    X(active) X(unit) X(db) X(index) X(_record) X(flush) X(ready_keys) X(serve) X(encode) \
    X(out_bytes) X(block) X(closing) X(get) X(append) \
    X(data) X(expires) X(meta) X(access) X(hits) X(misses) X(reading) X(notify_mask) \
    X(dirty_keys) X(watched) X(blocked) X(tracking) X(key_indexes) X(encodings) \
    X(ctx) X(reader) X(net) X(transport) X(writing_paused) X(authenticated) X(_buf) X(_left) \
    X(error) X(max_bulk) X(unauth) X(more) X(last_interaction) X(clock) X(net_input) \
    X(net_output) X(engine) X(aof_gate) X(write) X(join) X(check_output_limit) X(run_rest) \
    X(data_received) X(appendleft) X(pop) X(popleft) X(scans) X(pools) X(ref) X(items) X(dead) X(order) X(config) X(values) X(text) X(n) X(remove) X(add) X(scan_snapshot) \
    X(_m) X(_o) X(big_scores) X(_lists) X(_maxes) X(_index) X(_load) X(_offset) X(_len) \
    X(_expand) X(_delete) \
    X(nodes) X(entries) X(ids) X(last_id) X(first_id) X(entries_added) X(node_max_entries) X(node_max_bytes) \
    X(key) X(fields) X(live) X(deleted) X(size) X(last)

#define DECLARE(n) static PyObject *s_##n;
NAMES(DECLARE)
#undef DECLARE

static inline long long now_ns(void) {      /* perf_counter_ns's clock */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline PyObject *cattr(PyObject *o, PyObject *name);
static inline int cset(PyObject *o, PyObject *name, PyObject *v);

/* bool(getattr(o, name)); -1 on error */
static inline int attr_true(PyObject *o, PyObject *name) {
    PyObject *v = cattr(o, name);
    if (v == NULL) return -1;
    int r = v == Py_True ? 1 : v == Py_False || v == Py_None ? 0 : PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}

/* getattr(o, name) is not None; -1 on error */
static inline int attr_not_none(PyObject *o, PyObject *name) {
    PyObject *v = cattr(o, name);
    if (v == NULL) return -1;
    int r = v != Py_None;
    Py_DECREF(v);
    return r;
}

/* o.name(args...) */
static PyObject *call_method(PyObject *o, PyObject *name, PyObject *a, PyObject *b, PyObject *c3) {
    PyObject *argv[4] = {o, a, b, c3};
    size_t n = 1 + (a != NULL) + (b != NULL) + (c3 != NULL);
    return PyObject_VectorcallMethod(name, argv, n | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static int call_method_discard(PyObject *o, PyObject *name, PyObject *a, PyObject *b, PyObject *c3) {
    PyObject *r = call_method(o, name, a, b, c3);
    if (r == NULL) return -1;
    Py_DECREF(r);
    return 0;
}


/* Plain __slots__ members (Context, Command) read and written at their offset: what the
 * generic getattr/setattr do through the member descriptor (a data descriptor: the instance
 * dict cannot shadow it), minus the lookup. Offsets are cached per type, checked against the
 * type's version tag (any change to the type invalidates them); -1: the generic path. */
#define CTX_SLOTS(X) X(out) X(special) X(last_command) X(prop) X(db) X(encode) X(out_bytes) X(block) X(closing) \
    X(authenticated) X(pending) X(last_interaction)
#define CMD_SLOTS(X) X(subcommands) X(arity) X(fullname) X(readonly) X(handler) X(calls) X(ns) X(failed_calls)
#define DB_SLOTS(X) X(data) X(expires) X(ks) X(meta) X(access)
#define ENUM_CTX(n) CX_##n,
#define ENUM_CMD(n) CM_##n,
#define ENUM_DB(n) DB_##n,
enum { CTX_SLOTS(ENUM_CTX) CX_N };
enum { CMD_SLOTS(ENUM_CMD) CM_N };
enum { DB_SLOTS(ENUM_DB) DB_N };
_Static_assert(CX_N <= 16 && CM_N <= 16 && DB_N <= 16, "Slots.off is too small");

typedef struct {
    PyTypeObject *type;         /* a strong reference while cached */
    unsigned int version;
    Py_ssize_t off[16];
} Slots;

static Slots ctx_slots, cmd_slots, db_slots;
static PyObject **ctx_slot_names[CX_N], **cmd_slot_names[CM_N], **db_slot_names[DB_N];

static Py_ssize_t slot_offset(PyTypeObject *tp, PyObject *name) {
    if (tp->tp_getattro != PyObject_GenericGetAttr || tp->tp_setattro != PyObject_GenericSetAttr)
        return -1;
    PyObject *d = _PyType_Lookup(tp, name);
    if (d == NULL || Py_TYPE(d) != &PyMemberDescr_Type) return -1;
    PyMemberDef *m = ((PyMemberDescrObject *)d)->d_member;
    if (m->type != T_OBJECT_EX || m->flags != 0) return -1;
    return m->offset;
}

/* the offsets for tp's instances (valid until the type changes) */
static const Py_ssize_t *slots_of(Slots *s, PyTypeObject *tp, PyObject ***names, int n) {
    if (s->type == tp && (tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) && tp->tp_version_tag == s->version)
        return s->off;
    for (int i = 0; i < n; i++) s->off[i] = slot_offset(tp, *names[i]);
    Py_INCREF(tp);
    Py_XSETREF(s->type, tp);
    /* no valid tag (never expected for these classes): this call's offsets, not cached */
    s->version = (tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) ? tp->tp_version_tag : 0;
    if (!s->version) Py_CLEAR(s->type);
    return s->off;
}

static inline PyObject *get_slot(PyObject *o, Py_ssize_t off, PyObject *name) {
    if (off >= 0) {
        PyObject *v = *(PyObject **)((char *)o + off);
        if (v != NULL) {
            Py_INCREF(v);
            return v;
        }
    }
    return PyObject_GetAttr(o, name);      /* unset slot: its AttributeError */
}

static inline int set_slot(PyObject *o, Py_ssize_t off, PyObject *name, PyObject *v) {
    if (off < 0) return PyObject_SetAttr(o, name, v);
    PyObject **p = (PyObject **)((char *)o + off);
    PyObject *old = *p;
    Py_INCREF(v);
    *p = v;
    Py_XDECREF(old);
    return 0;
}

/* Attributes of the engine's, keyspace's and connection's objects read by name: their
 * classes declare __slots__ for the hot ones (plus __dict__ for the rest), and the member
 * offset of (type, name) is cached here (direct-mapped, checked against the type's version
 * tag), so a read is a load instead of a lookup; anything else takes the generic getattr. */
typedef struct {
    PyTypeObject *tp;           /* borrowed: valid while version matches (types are not freed
                                 * while their instances are passed in, and a new type at the
                                 * same address has a new version tag) */
    PyObject *name;
    unsigned int version;
    Py_ssize_t off;
} AttrSlot;
#define ATTR_CACHE 128
static AttrSlot attr_cache[ATTR_CACHE];

static inline Py_ssize_t attr_offset(PyObject *o, PyObject *name) {
    PyTypeObject *tp = Py_TYPE(o);
    if (!(tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG)) return -1;
    AttrSlot *a = &attr_cache[(((uintptr_t)tp >> 4) ^ ((uintptr_t)name >> 4) * 31u) % ATTR_CACHE];
    if (a->tp == tp && a->name == name && a->version == tp->tp_version_tag) return a->off;
    Py_ssize_t off = slot_offset(tp, name);
    if (!(tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG)) return off;     /* the lookup may clear it */
    a->tp = tp;
    a->name = name;             /* interned, immortal for the module's life */
    a->version = tp->tp_version_tag;
    a->off = off;
    return off;
}

/* getattr(o, name), through the cache */
static inline PyObject *cattr(PyObject *o, PyObject *name) {
    return get_slot(o, attr_offset(o, name), name);
}

/* setattr(o, name, v), through the cache */
static inline int cset(PyObject *o, PyObject *name, PyObject *v) {
    return set_slot(o, attr_offset(o, name), name, v);
}

static inline int slot_true(PyObject *o, Py_ssize_t off, PyObject *name) {
    PyObject *v = get_slot(o, off, name);
    if (v == NULL) return -1;
    int r = v == Py_True ? 1 : v == Py_False || v == Py_None ? 0 : PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}

static inline int slot_not_none(PyObject *o, Py_ssize_t off, PyObject *name) {
    PyObject *v = get_slot(o, off, name);
    if (v == NULL) return -1;
    int r = v != Py_None;
    Py_DECREF(v);
    return r;
}

/* o.<slot> += delta (ints) */
static int slot_add(PyObject *o, Py_ssize_t off, PyObject *name, PyObject *delta) {
    PyObject *v = get_slot(o, off, name);
    if (v == NULL) return -1;
    PyObject *sum = PyNumber_InPlaceAdd(v, delta);
    Py_DECREF(v);
    if (sum == NULL) return -1;
    int r = set_slot(o, off, name, sum);
    Py_DECREF(sum);
    return r;
}

static PyObject *one;

/* c.encode(reply), directly when it is one of ours */
static PyObject *encode_with(PyObject *c, Py_ssize_t off, PyObject *reply) {
    PyObject *enc = get_slot(c, off, s_encode);
    if (enc == NULL) return NULL;
    PyObject *r = Py_TYPE(enc) == &EncoderType ? encode_value((Encoder *)enc, reply)
                                                : PyObject_CallOneArg(enc, reply);
    Py_DECREF(enc);
    return r;
}

/* a handler raised: the reply it stands for (call.py's two except clauses), or NULL when the
 * exception must propagate (not an Exception) */
static PyObject *handler_error(PyObject *engine, PyObject *cmd, Py_ssize_t failed_off, PyObject *stats) {
    if (PyErr_ExceptionMatches(RedisError_cls)) {
        PyObject *t, *e, *tb;
        PyErr_Fetch(&t, &e, &tb);
        PyErr_NormalizeException(&t, &e, &tb);
        Py_XDECREF(t);
        Py_XDECREF(tb);
        if (e == NULL) return NULL;
        /* shared error instances: drop the traceback (and its frames), as with_traceback(None) */
        PyException_SetTraceback(e, Py_None);
        if (slot_add(cmd, failed_off, s_failed_calls, one) < 0 || call_method_discard(stats, s_error_reply, e, NULL, NULL) < 0) {
            Py_DECREF(e);
            return NULL;
        }
        return e;
    }
    if (!PyErr_ExceptionMatches(PyExc_Exception)) return NULL;
    PyObject *t, *e, *tb;
    PyErr_Fetch(&t, &e, &tb);
    PyErr_NormalizeException(&t, &e, &tb);
    if (tb != NULL && e != NULL) PyException_SetTraceback(e, tb);
    /* internal_error logs it with log.exception: it must be the exception being handled */
    PyObject *ot, *oe, *otb;
    PyErr_GetExcInfo(&ot, &oe, &otb);
    Py_XINCREF(t); Py_XINCREF(e); Py_XINCREF(tb);
    PyErr_SetExcInfo(t, e, tb);
    PyObject *r = call_method(engine, s_internal_error, cmd, e, NULL);
    PyErr_SetExcInfo(ot, oe, otb);
    Py_XDECREF(t); Py_XDECREF(e); Py_XDECREF(tb);
    return r;
}

/* ------------------------------------------------------------------ native GET, SET, INCR
 *
 * engine/call.py NATIVE names the commands whose Python handler (commands/strings.py get,
 * set_, incr) run_batch may run here instead; configure_native() hands over those handler
 * objects, so a command is native only while its handler is that very function. The Python
 * handler stays the semantics: the code here runs only where it provably does what the
 * handler would, and it decides before it changes anything. When a precondition does not
 * hold it returns NATIVE_FALLBACK and the handler runs, as if this code did not exist.
 * Everything around the handler (statistics, SLOWLOG, propagation, encoding) is run_batch's,
 * shared by both.
 *
 * Preconditions, all of them:
 *   - c.db is exactly a Database whose data and expires are exact dicts, db.meta is None
 *     (no maxmemory accounting) and db.access is None (no LRU/LFU access tracking);
 *   - the key, args[1], is an exact str and is not in db.expires (expiry is the handler's);
 *   - ks.reading is false (keymiss events) and ks.notify_mask is 0 (no keyspace events);
 *   - GET: the value is absent or an exact str (library-stored JSON scalars and WRONGTYPE
 *     are the handler's);
 *   - SET and INCR (Database.set): ks.dirty_keys and ks.tracking are None, ks.watched,
 *     ks.blocked and ks.key_indexes are empty (Database._track would run) and ks.encodings
 *     holds no mark for (id(db.data), key) (strings.unmark would drop it);
 *   - SET: exactly three arguments (no options), the value an exact str;
 *   - INCR: the value absent or an exact ASCII str that util.parse_int accepts, and +1 does
 *     not overflow (errors are the handler's: it raises them);
 *   - LPUSH, RPUSH, LPOP, RPOP (commands/lists.py): the value absent or an exact deque, the
 *     writes' conditions above (but ks.encodings: Database.set does not unmark); LPOP/RPOP
 *     without a count, the element popped an exact str;
 *   - SADD, HSET: the writes' conditions (but ks.encodings), the value absent (SADD only) or an
 *     exact set (SADD: its Pool, if any, is told as members_added does) or dict with no Pool in
 *     ks.scans.pools (keyspace/scan.py tracked()), or a packed SmallHash for one pair of short
 *     ASCII strings without its special characters that keeps it within the listpack limits
 *     (see native_smallhash); HSET with whole field-value pairs;
 *   - SPOP without a count: the value absent, or an exact set of two or more members with a
 *     live Pool in step with it (see native_spop), the member picked an exact str;
 *   - ZPOPMIN, ZPOPMAX without a count: the value absent or an exact ZSet in its big form with
 *     two or more members;
 *   - MSET: SET's conditions for every pair (see native_mset);
 *   - ZADD key score member: a big sorted set, an ASCII member, a score of at most 15 ASCII
 *     digits (see native_zadd);
 *   - XADD key * field value [field value ...]: an existing stream whose last node takes the
 *     entry and whose last ID sublist has room, ASCII fields and values (see native_xadd).
 * The effects, in the handler's order: lookup's ks.hits / ks.misses (when ks.read_cmd),
 * then data[key] = value (or the deque's change, and the key's removal with its last
 * element) and ks.dirty += 1 when something changed. Replies: the value or None (GET, a pop),
 * protocol/reply.py OK (SET), the new int (INCR, which stores str(n), as the handler does),
 * the list's length (a push), the members or fields added (SADD, HSET: HSET counts a change
 * always, SADD only when a member was added). */

enum { NATIVE_NONE, NATIVE_GET, NATIVE_SET, NATIVE_INCR,
       NATIVE_LPUSH, NATIVE_RPUSH, NATIVE_LPOP, NATIVE_RPOP, NATIVE_SADD, NATIVE_HSET, NATIVE_SPOP,
       NATIVE_ZPOPMIN, NATIVE_ZPOPMAX, NATIVE_MSET, NATIVE_ZADD, NATIVE_XADD, NATIVE_N };
static const char *native_names[NATIVE_N] = {NULL, "get", "set", "incr", "lpush", "rpush", "lpop", "rpop",
                                             "sadd", "hset", "spop", "zpopmin", "zpopmax", "mset", "zadd",
                                             "xadd"};
static PyObject *Pool_type, *random_fn;         /* keyspace/scan.py Pool, random.random */
static PyObject *ZSet_type, *unkey_fn;          /* keyspace/zset.py ZSet, unkey */
static PyObject *SmallHash_type;                /* keyspace/smallhash.py SmallHash */
static PyObject *Stream_type, *StreamNode_type; /* keyspace/stream.py Stream, Node */
static unsigned long long stream_id_extra;      /* its ID_BASE - 2**64 (0: not configured) */
static PyObject *deque_type;                    /* collections.deque: a list's value */
static PyObject *native_handler[NATIVE_N];      /* the Python handler each one stands for */
static unsigned long long native_runs[NATIVE_N], native_fallbacks[NATIVE_N];
static PyTypeObject *Database_type;
static PyObject *ok_reply;                      /* protocol/reply.py OK */

#define NATIVE_FALLBACK 0                       /* run the Python handler */

static inline int native_kind(PyObject *handler) {
    for (int k = 1; k < NATIVE_N; k++)
        if (handler == native_handler[k]) return k;
    return NATIVE_NONE;
}

/* o.name += n */
static int attr_add(PyObject *o, PyObject *name, long long n) {
    PyObject *d = PyLong_FromLongLong(n);
    if (d == NULL) return -1;
    PyObject *v = cattr(o, name);
    PyObject *sum = v == NULL ? NULL : PyNumber_InPlaceAdd(v, d);
    Py_XDECREF(v);
    Py_DECREF(d);
    if (sum == NULL) return -1;
    int rc = cset(o, name, sum);
    Py_DECREF(sum);
    return rc;
}

typedef struct {
    PyObject *db, *data, *expires, *ks;     /* new references */
    PyObject *marks;        /* ks.encodings when it is non-empty (plain_writes), else NULL */
    PyObject *pools;        /* ks.scans.pools (plain_writes) */
} Plain;

static void plain_clear(Plain *p) {
    Py_CLEAR(p->db); Py_CLEAR(p->data); Py_CLEAR(p->expires); Py_CLEAR(p->ks); Py_CLEAR(p->marks);
    Py_CLEAR(p->pools);
}

/* The db-level preconditions (see above), whatever the key: 1 (p filled), 0 (fallback) or -1. */
static int plain_db(PyObject *c, Py_ssize_t db_off, Plain *p) {
    p->db = p->data = p->expires = p->ks = p->marks = p->pools = NULL;
    if (Database_type == NULL) return 0;
    PyObject *db = get_slot(c, db_off, s_db);
    if (db == NULL) return -1;
    p->db = db;
    if (Py_TYPE(db) != Database_type) return 0;
    const Py_ssize_t *off = slots_of(&db_slots, Database_type, db_slot_names, DB_N);
    PyObject *meta = NULL, *access = NULL;
    int r = -1;
    if (!(meta = get_slot(db, off[DB_meta], s_meta))) goto done;
    if (!(access = get_slot(db, off[DB_access], s_access))) goto done;
    if (!(p->expires = get_slot(db, off[DB_expires], s_expires))) goto done;
    if (!(p->data = get_slot(db, off[DB_data], s_data))) goto done;
    r = 0;
    if (meta != Py_None || access != Py_None || !PyDict_CheckExact(p->expires) || !PyDict_CheckExact(p->data))
        goto done;
    r = -1;
    if (!(p->ks = get_slot(db, off[DB_ks], s_ks))) goto done;
    if ((r = attr_true(p->ks, s_reading)) != 0 || (r = attr_true(p->ks, s_notify_mask)) != 0) {
        r = r < 0 ? -1 : 0;
        goto done;
    }
    r = 1;
done:
    Py_XDECREF(meta); Py_XDECREF(access);
    return r;
}

/* The key-level ones: an exact str, not in db.expires. 1, 0 or -1. */
static int plain_key(Plain *p, PyObject *key) {
    if (!PyUnicode_CheckExact(key)) return 0;
    if (!PyDict_GET_SIZE(p->expires)) return 1;
    int r = PyDict_Contains(p->expires, key);
    return r < 0 ? -1 : !r;
}

/* Writes are plain, whatever the key: Database.set would not call _track. Keeps ks.encodings
 * in p->marks when it is not empty (plain_unmarked looks there). 1, 0 or -1. */
static int plain_writes(Plain *p) {
    int r;
    PyObject *ks = p->ks;
    if ((r = attr_not_none(ks, s_dirty_keys)) != 0 || (r = attr_true(ks, s_watched)) != 0
        || (r = attr_true(ks, s_blocked)) != 0 || (r = attr_not_none(ks, s_tracking)) != 0
        || (r = attr_true(ks, s_key_indexes)) != 0)
        return r < 0 ? -1 : 0;
    PyObject *marks = cattr(ks, s_encodings);
    if (marks == NULL) return -1;
    if (!PyDict_CheckExact(marks)) { Py_DECREF(marks); return 0; }
    if (PyDict_GET_SIZE(marks)) Py_XSETREF(p->marks, marks);
    else Py_DECREF(marks);
    PyObject *scans = cattr(ks, s_scans);
    if (scans == NULL) return -1;
    PyObject *pools = cattr(scans, s_pools);
    Py_DECREF(scans);
    if (pools == NULL) return -1;
    if (!PyDict_CheckExact(pools)) { Py_DECREF(pools); return 0; }
    Py_XSETREF(p->pools, pools);
    return 1;
}

/* The collection has a Pool (keyspace/scan.py tracked(): its changes must be reported to it):
 * 1, 0 or -1 (an entry for its id, live or not, is enough to leave it to the handler). */
static int pooled(Plain *p, PyObject *coll) {
    if (p->pools == NULL || !PyDict_GET_SIZE(p->pools)) return 0;
    PyObject *id = PyLong_FromVoidPtr(coll);
    if (id == NULL) return -1;
    int r = PyDict_Contains(p->pools, id);
    Py_DECREF(id);
    return r;
}

/* strings.unmark would drop nothing for key: (id(db.data), key) not in ks.encodings. 1, 0 or -1. */
static int plain_unmarked(Plain *p, PyObject *key) {
    if (p->marks == NULL || !PyDict_GET_SIZE(p->marks)) return 1;
    PyObject *id = PyLong_FromVoidPtr(p->data);
    PyObject *mk = id == NULL ? NULL : PyTuple_Pack(2, id, key);
    Py_XDECREF(id);
    int r = mk == NULL ? -1 : PyDict_Contains(p->marks, mk);
    Py_XDECREF(mk);
    return r < 0 ? -1 : !r;
}

/* util.parse_int: Redis's strict signed 64-bit form; 0 when it would raise */
static int strict_ll(PyObject *s, long long *out) {
    if (PyUnicode_READY(s) < 0) return -1;
    if (!PyUnicode_IS_ASCII(s)) return 0;
    const char *p = (const char *)PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = p[0] == '-';
    if (n == 0 || n > 20 || i == n) return 0;
    if (p[i] == '0' && (n > 1)) return 0;       /* leading zeros, "-0" */
    unsigned long long x = 0, lim = i ? 9223372036854775808ULL : 9223372036854775807ULL;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        unsigned d = p[i] - '0';
        if (x > (lim - d) / 10) return 0;
        x = x * 10 + d;
    }
    *out = p[0] == '-' ? (long long)(0ULL - x) : (long long)x;
    return 1;
}

/* LPUSH/RPUSH (any number of values) and LPOP/RPOP (without a count) on the deque v or a
 * missing key (v NULL), as commands/lists.py _push and _pop do it: the values extend the
 * deque (a new one is stored at key); a pop takes an end element (only a str: others are
 * the handler's), and the key goes with its last element (Database.delete). */
static int native_list(int kind, Plain *p, int writes, PyObject *args, PyObject *v,
                       PyObject **reply, int *changed) {
    PyObject *key = PyList_GET_ITEM(args, 1);
    Py_ssize_t nargs = PyList_GET_SIZE(args);
    if (v != NULL && Py_TYPE(v) != (PyTypeObject *)deque_type) return NATIVE_FALLBACK;
    if (kind == NATIVE_LPOP || kind == NATIVE_RPOP) {
        if (nargs != 2) return NATIVE_FALLBACK;             /* the count form */
        if (v == NULL) {
            Py_INCREF(Py_None);
            *reply = Py_None;
            return 1;
        }
        Py_ssize_t n = PyObject_Length(v);
        if (n < 0) return -1;
        if (!writes || n == 0) return NATIVE_FALLBACK;
        PyObject *end = PySequence_GetItem(v, kind == NATIVE_LPOP ? 0 : n - 1);
        if (end == NULL) return -1;
        int plain = PyUnicode_CheckExact(end);
        Py_DECREF(end);
        if (!plain) return NATIVE_FALLBACK;
        Py_INCREF(v);       /* the deque may leave data below */
        PyObject *el = PyObject_CallMethodNoArgs(v, kind == NATIVE_LPOP ? s_popleft : s_pop);
        int rc = el == NULL ? -1 : n == 1 ? PyDict_DelItem(p->data, key) : 0;
        Py_DECREF(v);
        if (rc < 0) { Py_XDECREF(el); return -1; }
        *reply = el;
        *changed = 1;
        return 1;
    }
    if (!writes) return NATIVE_FALLBACK;
    PyObject *d = v;
    if (d == NULL) {
        if (!(d = PyObject_CallNoArgs(deque_type))) return -1;
    } else {
        Py_INCREF(d);
    }
    PyObject *name = kind == NATIVE_LPUSH ? s_appendleft : s_append;
    int rc = 0;
    for (Py_ssize_t i = 2; rc == 0 && i < nargs; i++) {
        PyObject *r = PyObject_CallMethodOneArg(d, name, PyList_GET_ITEM(args, i));
        rc = r == NULL ? -1 : 0;
        Py_XDECREF(r);
    }
    if (rc == 0 && v == NULL) rc = PyDict_SetItem(p->data, key, d);
    Py_ssize_t len = rc < 0 ? -1 : PyObject_Length(d);
    Py_DECREF(d);
    if (len < 0) return -1;
    *changed = 1;       /* the values are in, even if the reply cannot be made */
    return (*reply = PyLong_FromSsize_t(len)) == NULL ? -1 : 1;
}

/* The Pool keyspace/scan.py tracked(ks, s) finds for the set s: 1 with *pool (and its items
 * and dead, new references) or with *pool NULL when it has none (or a stale one: tracked()
 * ignores it), 0 when it is not one we know (the handler's), -1. */
static int set_pool(Plain *p, PyObject *s, PyObject **pool, PyObject **items, PyObject **dead) {
    *pool = *items = *dead = NULL;
    if (p->pools == NULL || !PyDict_GET_SIZE(p->pools)) return 1;
    PyObject *id = PyLong_FromVoidPtr(s);
    if (id == NULL) return -1;
    PyObject *pl = PyDict_GetItemWithError(p->pools, id);      /* borrowed */
    Py_DECREF(id);
    if (pl == NULL) return PyErr_Occurred() ? -1 : 1;
    if (Pool_type == NULL || Py_TYPE(pl) != (PyTypeObject *)Pool_type) return 0;
    PyObject *ref = cattr(pl, s_ref);
    if (ref == NULL) return -1;
    int weak = PyWeakref_CheckRefExact(ref), live = weak && PyWeakref_GET_OBJECT(ref) == s;
    Py_DECREF(ref);
    if (!weak) return 0;
    if (!live) return 1;
    if (!(*items = cattr(pl, s_items)) || !(*dead = cattr(pl, s_dead))) {
        Py_CLEAR(*items);
        return -1;
    }
    if ((*items != Py_None && !PyList_CheckExact(*items)) || !PySet_CheckExact(*dead)) {
        Py_CLEAR(*items); Py_CLEAR(*dead);
        return 0;
    }
    Py_INCREF(pl);
    *pool = pl;
    return 1;
}

/* Pool.added(set(fresh)): its scan order dropped; each member no longer dead, or appended */
static int pool_added(PyObject *pool, PyObject *items, PyObject *dead, PyObject *fresh) {
    if (cset(pool, s_order, Py_None) < 0) return -1;
    if (items == Py_None) return 0;
    PyObject *members = PySet_New(fresh);
    PyObject *it = members == NULL ? NULL : PyObject_GetIter(members);
    Py_XDECREF(members);
    if (it == NULL) return -1;
    int rc = 0;
    PyObject *m;
    while (rc == 0 && (m = PyIter_Next(it)) != NULL) {
        int in = PySet_Contains(dead, m);
        rc = in < 0 ? -1 : in ? PySet_Discard(dead, m) < 0 ? -1 : 0 : PyList_Append(items, m);
        Py_DECREF(m);
    }
    Py_DECREF(it);
    return rc < 0 || PyErr_Occurred() ? -1 : 0;
}

static PyObject *cfg_hash_entries, *cfg_hash_value, *cfg_node_entries, *cfg_node_bytes;   /* config names */

/* c.config.values[name] as a long long: 1, 0 (absent or not a small int), -1. name: an
 * interned str made on first use (hashed once, not on every call) */
static int config_ll(PyObject *c, PyObject **name, const char *text, long long *out) {
    if (*name == NULL && (*name = PyUnicode_InternFromString(text)) == NULL) return -1;
    PyObject *config = cattr(c, s_config);
    PyObject *values = config == NULL ? NULL : cattr(config, s_values);
    Py_XDECREF(config);
    if (values == NULL) return -1;
    PyObject *v = PyDict_CheckExact(values) ? PyDict_GetItemWithError(values, *name) : NULL;   /* borrowed */
    if (v == NULL && PyErr_Occurred()) { Py_DECREF(values); return -1; }
    int rc = 0;
    if (v != NULL && PyLong_CheckExact(v)) {
        int overflow;
        *out = PyLong_AsLongLongAndOverflow(v, &overflow);
        rc = overflow ? 0 : (*out == -1 && PyErr_Occurred()) ? -1 : 1;
    }
    Py_DECREF(values);
    return rc;
}

/* a short ASCII str with none of SmallHash's three special characters (stored unescaped) */
static inline int packable(PyObject *s, long long limit) {
    if (!PyUnicode_CheckExact(s) || !PyUnicode_IS_ASCII(s) || PyUnicode_GET_LENGTH(s) > limit) return 0;
    const char *d = (const char *)PyUnicode_DATA(s);
    for (Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(s); i < n; i++)
        if ((unsigned char)d[i] <= 2) return 0;
    return 1;
}

/* HSET of one pair into a packed SmallHash (commands/hashes.py _hset_small's common case):
 * field and value short ASCII without special characters, the hash within
 * hash-max-listpack-entries before and after; SmallHash.set, then the change. */
static int native_smallhash(PyObject *c, PyObject *args, PyObject *h, PyObject **reply, int *changed) {
    long long entries, limit;
    int rc;
    if (PyList_GET_SIZE(args) != 4 || SmallHash_type == NULL) return NATIVE_FALLBACK;
    if ((rc = config_ll(c, &cfg_hash_entries, "hash-max-listpack-entries", &entries)) <= 0) return rc;
    if ((rc = config_ll(c, &cfg_hash_value, "hash-max-listpack-value", &limit)) <= 0) return rc;
    PyObject *field = PyList_GET_ITEM(args, 2), *value = PyList_GET_ITEM(args, 3);
    if (!packable(field, limit) || !packable(value, limit)) return NATIVE_FALLBACK;
    PyObject *text = cattr(h, s_text), *n = NULL, *needle = NULL, *new_text = NULL;
    rc = -1;
    if (text == NULL || !(n = cattr(h, s_n))) goto done;
    long long count = PyLong_AsLongLong(n);
    if (count == -1 && PyErr_Occurred()) goto done;
    rc = NATIVE_FALLBACK;
    if (!PyUnicode_CheckExact(text) || count > entries) goto done;
    rc = -1;
    /* "\0" field "\2" (field is ASCII: its bytes are its characters) */
    Py_ssize_t flen = PyUnicode_GET_LENGTH(field);
    if (!(needle = PyUnicode_New(flen + 2, 127))) goto done;
    char *nd = (char *)PyUnicode_DATA(needle);
    nd[0] = '\0';
    memcpy(nd + 1, PyUnicode_DATA(field), flen);
    nd[flen + 1] = '\2';
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), p = PyUnicode_Find(text, needle, 0, len, 1);
    if (p == -2) goto done;
    if (p < 0) {                /* new: appended, unless the hash would outgrow the limit */
        rc = NATIVE_FALLBACK;
        if (count + 1 > entries) goto done;
        rc = -1;
        if (!(new_text = PyUnicode_FromFormat("%U%U%U", text, needle, value))) goto done;
        PyObject *n1 = PyLong_FromLongLong(count + 1);
        if (n1 == NULL) goto done;
        int r1 = cset(h, s_text, new_text), r2 = r1 < 0 ? -1 : cset(h, s_n, n1);
        Py_DECREF(n1);
        if (r2 < 0) goto done;
        *reply = PyLong_FromLong(1);
    } else {                    /* there: the value replaced (unless it is the same) */
        p += PyUnicode_GET_LENGTH(field) + 2;
        Py_ssize_t e = PyUnicode_FindChar(text, 0, p, len, 1);
        if (e == -2) goto done;
        if (e < 0) e = len;
        Py_ssize_t vlen = PyUnicode_GET_LENGTH(value);
        int same = e - p == vlen && PyUnicode_Tailmatch(text, value, p, e, -1) == 1;
        if (!same) {
            PyObject *head = PyUnicode_Substring(text, 0, p), *tail = PyUnicode_Substring(text, e, len);
            if (head != NULL && tail != NULL) new_text = PyUnicode_FromFormat("%U%U%U", head, value, tail);
            Py_XDECREF(head); Py_XDECREF(tail);
            if (new_text == NULL || cset(h, s_text, new_text) < 0) goto done;
        }
        *reply = PyLong_FromLong(0);
    }
    *changed = 1;               /* db.modified(key): a change always */
    rc = *reply == NULL ? -1 : 1;
done:
    Py_XDECREF(text); Py_XDECREF(n); Py_XDECREF(needle); Py_XDECREF(new_text);
    return rc;
}

/* SADD (commands/sets.py) on the set v or a missing key, and HSET (commands/hashes.py) on
 * the dict v (a missing key or a packed SmallHash are the handler's): members or fields are
 * added as the handlers add them, to a collection without a Pool. */
static int native_coll(int kind, PyObject *c, Plain *p, int writes, PyObject *args, PyObject *v,
                       PyObject **reply, int *changed) {
    PyObject *key = PyList_GET_ITEM(args, 1);
    Py_ssize_t nargs = PyList_GET_SIZE(args);
    if (!writes) return NATIVE_FALLBACK;
    if (kind == NATIVE_HSET && v != NULL && Py_TYPE(v) == (PyTypeObject *)SmallHash_type)
        return native_smallhash(c, args, v, reply, changed);
    if (kind == NATIVE_SADD ? v != NULL && Py_TYPE(v) != &PySet_Type
                            : v == NULL || Py_TYPE(v) != &PyDict_Type || nargs % 2)
        return NATIVE_FALLBACK;
    int rc;
    PyObject *pool = NULL, *items = NULL, *dead = NULL, *fresh = NULL;    /* SADD: the set's Pool */
    if (kind == NATIVE_SADD && v != NULL) {
        if ((rc = set_pool(p, v, &pool, &items, &dead)) <= 0) return rc;
        if (pool != NULL && !(fresh = PyList_New(0))) rc = -1;
        for (Py_ssize_t i = 2; rc > 0 && fresh != NULL && i < nargs; i++) {    /* new = [m ... not in s] */
            int in = PySet_Contains(v, PyList_GET_ITEM(args, i));
            rc = in < 0 ? -1 : in ? 1 : PyList_Append(fresh, PyList_GET_ITEM(args, i)) < 0 ? -1 : 1;
        }
        if (rc < 0) goto fail;
    } else if (v != NULL && (rc = pooled(p, v)) != 0) {
        return rc < 0 ? -1 : NATIVE_FALLBACK;
    }
    Py_ssize_t before = 0, after;
    if (v == NULL) {        /* SADD: set(args[2:]) at key */
        PyObject *members = PyList_GetSlice(args, 2, nargs);
        PyObject *set = members == NULL ? NULL : PySet_New(members);
        Py_XDECREF(members);
        if (set == NULL) return -1;
        rc = PyDict_SetItem(p->data, key, set);
        after = PySet_GET_SIZE(set);
        Py_DECREF(set);
        if (rc < 0) return -1;
        *changed = 1;
    } else {
        Py_INCREF(v);
        rc = 0;
        if (kind == NATIVE_SADD) {
            before = PySet_GET_SIZE(v);
            for (Py_ssize_t i = 2; rc == 0 && i < nargs; i++) rc = PySet_Add(v, PyList_GET_ITEM(args, i));
            after = PySet_GET_SIZE(v);
        } else {
            before = PyDict_GET_SIZE(v);
            for (Py_ssize_t i = 2; rc == 0 && i < nargs; i += 2)
                rc = PyDict_SetItem(v, PyList_GET_ITEM(args, i), PyList_GET_ITEM(args, i + 1));
            after = PyDict_GET_SIZE(v);
        }
        Py_DECREF(v);
        *changed = kind == NATIVE_HSET || after != before;      /* HSET counts a change always */
        if (rc == 0 && after != before && fresh != NULL && PyList_GET_SIZE(fresh))
            rc = pool_added(pool, items, dead, fresh);          /* members_added(ks, s, set(new)) */
        if (rc < 0) goto fail;
    }
    Py_XDECREF(pool); Py_XDECREF(items); Py_XDECREF(dead); Py_XDECREF(fresh);
    return (*reply = PyLong_FromSsize_t(after - before)) == NULL ? -1 : 1;
fail:
    Py_XDECREF(pool); Py_XDECREF(items); Py_XDECREF(dead); Py_XDECREF(fresh);
    return -1;
}

/* SPOP without a count (commands/sets.py spop), from a set of two or more members whose Pool
 * (keyspace/scan.py) is live and in step with it: Pool.pick, step for step and with the same
 * random.random() draws, then s.remove(m) and Pool.removed((m,)). The first SPOP of a set
 * (no Pool yet) and the pop of its last member are the handler's. */
static int native_spop(Plain *p, PyObject *args, PyObject *s, PyObject **reply, int *changed) {
    if (PyList_GET_SIZE(args) != 2 || Pool_type == NULL || random_fn == NULL) return NATIVE_FALLBACK;
    if (s == NULL) {
        Py_INCREF(Py_None);
        *reply = Py_None;
        return 1;
    }
    if (Py_TYPE(s) != &PySet_Type || PySet_GET_SIZE(s) < 2 || p->pools == NULL) return NATIVE_FALLBACK;
    PyObject *id = PyLong_FromVoidPtr(s);
    if (id == NULL) return -1;
    PyObject *pool = PyDict_GetItemWithError(p->pools, id);     /* borrowed */
    Py_DECREF(id);
    if (pool == NULL) return PyErr_Occurred() ? -1 : NATIVE_FALLBACK;
    if (Py_TYPE(pool) != (PyTypeObject *)Pool_type) return NATIVE_FALLBACK;
    Py_INCREF(pool);
    int rc = NATIVE_FALLBACK;
    PyObject *ref = NULL, *items = NULL, *dead = NULL, *m = NULL;
    if (!(ref = cattr(pool, s_ref))) { rc = -1; goto done; }
    if (!PyWeakref_CheckRefExact(ref) || PyWeakref_GET_OBJECT(ref) != s) goto done;    /* p.ref() is s */
    if (!(items = cattr(pool, s_items)) || !(dead = cattr(pool, s_dead))) { rc = -1; goto done; }
    /* _fresh: the items as they are, when they are a list in step with the set */
    if (!PyList_CheckExact(items) || !PySet_CheckExact(dead)
        || PyList_GET_SIZE(items) - PySet_GET_SIZE(dead) != PySet_GET_SIZE(s))
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(items);
    for (;;) {      /* pick: items[int(random() * n)] until a live member */
        PyObject *x = PyObject_CallNoArgs(random_fn);
        if (x == NULL) { rc = -1; goto done; }
        double r = PyFloat_AsDouble(x);
        Py_DECREF(x);
        if (r == -1.0 && PyErr_Occurred()) { rc = -1; goto done; }
        Py_ssize_t i = (Py_ssize_t)(r * (double)n);
        if (i < 0 || i >= n) { PyErr_SetString(PyExc_IndexError, "list index out of range"); rc = -1; goto done; }
        m = PyList_GET_ITEM(items, i);
        Py_INCREF(m);
        int is_dead = PySet_Contains(dead, m);
        if (is_dead < 0) { rc = -1; goto done; }
        if (!is_dead) break;
        Py_CLEAR(m);
    }
    int live = PySet_Contains(s, m);
    if (live <= 0 || !PyUnicode_CheckExact(m)) {
        /* changed behind the pool's back (the handler starts again from the set's members):
         * it draws again; an odd member is the handler's too. Neither happens here. */
        rc = live < 0 ? -1 : NATIVE_FALLBACK;
        goto done;
    }
    /* s.remove(m); p.removed((m,)): dead.update, items dropped when half of them are dead */
    if (PySet_Discard(s, m) < 0 || PySet_Add(dead, m) < 0) { rc = -1; goto done; }
    *changed = 1;
    if (PySet_GET_SIZE(dead) * 2 > n && cset(pool, s_items, Py_None) < 0) { rc = -1; goto done; }
    *reply = m;
    m = NULL;
    rc = 1;
done:
    Py_XDECREF(m); Py_XDECREF(ref); Py_XDECREF(items); Py_XDECREF(dead);
    Py_DECREF(pool);
    return rc;
}

/* Sorted-list steps for a big sorted set's SortedList of (score, sort key) pairs: the
 * library's own algorithm (sortedcontainers 2.x add, remove, pop and their _expand/_delete
 * bookkeeping), with the comparisons done here. Tuple comparison calls == and then < on
 * each score through Python; two float scores (never NaN in a sorted set) compare as
 * doubles here, in the same order, and equal scores compare their keys as tuples do. The
 * rare steps (splitting or merging sublists) are the library's methods. */
static PyTypeObject *SortedList_type;           /* sortedcontainers.SortedList */

/* a < b for two (score, key) pairs, as tuple comparison answers it; -1 on error */
static int pair_lt(PyObject *a, PyObject *b) {
    if (PyTuple_CheckExact(a) && PyTuple_CheckExact(b) && PyTuple_GET_SIZE(a) == 2 && PyTuple_GET_SIZE(b) == 2) {
        PyObject *x = PyTuple_GET_ITEM(a, 0), *y = PyTuple_GET_ITEM(b, 0);
        if (PyFloat_CheckExact(x) && PyFloat_CheckExact(y)) {
            double dx = PyFloat_AS_DOUBLE(x), dy = PyFloat_AS_DOUBLE(y);
            if (dx < dy) return 1;
            if (dx > dy) return 0;
            if (dx == dy) {
                PyObject *kx = PyTuple_GET_ITEM(a, 1), *ky = PyTuple_GET_ITEM(b, 1);
                if (kx == ky) return 0;
                if (PyUnicode_CheckExact(kx) && PyUnicode_CheckExact(ky)) {
                    int c = PyUnicode_Compare(kx, ky);
                    return c == -1 && PyErr_Occurred() ? -1 : c < 0;
                }
            }
        }
    }
    Py_INCREF(a);                               /* a comparison in Python may change the list */
    Py_INCREF(b);
    int r = PyObject_RichCompareBool(a, b, Py_LT);
    Py_DECREF(a);
    Py_DECREF(b);
    return r;
}

/* Warm the cache for a probe a later bisect step may make: the pair at items[i] and, one step
 * further on, its score. A big sorted set's pairs and scores are scattered over the heap, so
 * each probe otherwise waits for two cache misses in a row (perf: a third of a ZADD's time);
 * touching the possible next probes first lets those misses overlap. Only loads and
 * prefetches: nothing is decided on what they read. */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif
static inline void pair_warm(PyObject **items, Py_ssize_t i, int score) {
    PyObject *t = items[i];
    PREFETCH(t);
    if (score && Py_IS_TYPE(t, &PyTuple_Type) && PyTuple_GET_SIZE(t) > 0)
        PREFETCH(PyTuple_GET_ITEM(t, 0));
}

/* bisect.bisect_right (right) or bisect_left of x in the list; -1 on error */
static Py_ssize_t pair_bisect(PyObject *list, PyObject *x, int right) {
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(list);
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (mid >= PyList_GET_SIZE(list)) {
            PyErr_SetString(PyExc_RuntimeError, "a sorted set changed while it was searched");
            return -1;
        }
        PyObject **items = ((PyListObject *)list)->ob_item;
        if (hi - lo > 2 && hi <= PyList_GET_SIZE(list)) {     /* (a Python comparison may shrink it) */
            /* the next probe is a (hi becomes mid) or b (lo becomes mid + 1): their scores;
             * the four after those: their pairs */
            Py_ssize_t a = lo + (mid - lo) / 2, b = mid + 1 + (hi - mid - 1) / 2;
            pair_warm(items, a, 1);
            if (b < hi) pair_warm(items, b, 1);
            if (a > lo) { pair_warm(items, lo + (a - lo) / 2, 0); pair_warm(items, a + 1 + (mid - a - 1) / 2, 0); }
            if (b > mid + 1) pair_warm(items, mid + 1 + (b - mid - 1) / 2, 0);
            if (b + 1 < hi) pair_warm(items, b + 1 + (hi - b - 1) / 2, 0);
        }
        PyObject *m = items[mid];
        int lt = right ? pair_lt(x, m) : pair_lt(m, x);
        if (lt < 0) return -1;
        if (right ? lt : !lt) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* One SortedList as its steps here see it: its _lists, _maxes and _index (exact lists, new
 * references), _load, and what its _len still has to be moved by (written back before any of
 * the library's methods runs, and at the end) */
typedef struct {
    PyObject *o, *lists, *maxes, *index;
    long load, len_delta;
} SL;

static void sl_drop(SL *s) {
    Py_CLEAR(s->lists); Py_CLEAR(s->maxes); Py_CLEAR(s->index);
}

/* 1 with s filled, 0 when o is not a plain, non-empty SortedList of exact lists (s->lists
 * stays NULL: the steps below take the library's methods), -1 */
static int sl_open(SL *s, PyObject *o) {
    s->o = o;
    s->lists = s->maxes = s->index = NULL;
    s->len_delta = 0;
    if (SortedList_type == NULL || Py_TYPE(o) != SortedList_type) return 0;
    PyObject *l = NULL;
    if (!(s->lists = cattr(o, s__lists)) || !(s->maxes = cattr(o, s__maxes)) || !(s->index = cattr(o, s__index))
        || !(l = cattr(o, s__load)))
        goto fail;
    if (!PyList_CheckExact(s->lists) || !PyList_CheckExact(s->maxes) || !PyList_CheckExact(s->index)
        || !PyLong_CheckExact(l) || PyList_GET_SIZE(s->maxes) == 0
        || PyList_GET_SIZE(s->maxes) != PyList_GET_SIZE(s->lists)) {
        Py_DECREF(l);
        sl_drop(s);
        return 0;
    }
    s->load = PyLong_AsLong(l);
    Py_DECREF(l);
    if (s->load == -1 && PyErr_Occurred()) goto fail;
    return 1;
fail:
    Py_XDECREF(l);
    sl_drop(s);
    return -1;
}

static int sl_flush_len(SL *s) {
    long d = s->len_delta;
    s->len_delta = 0;
    return d ? attr_add(s->o, s__len, d) : 0;
}

/* Write _len back and let go; rc passes through (-1 stays -1) */
static int sl_close(SL *s, int rc) {
    if (s->lists != NULL && sl_flush_len(s) < 0) rc = -1;
    sl_drop(s);
    return rc;
}

/* o.method(pos[, idx]), one of the library's steps; then the parts are read again */
static int sl_call(SL *s, PyObject *method, Py_ssize_t pos, Py_ssize_t idx) {
    if (sl_flush_len(s) < 0) return -1;
    PyObject *p = PyLong_FromSsize_t(pos), *i = idx < 0 ? NULL : PyLong_FromSsize_t(idx);
    int rc = p == NULL || (idx >= 0 && i == NULL) ? -1 : call_method_discard(s->o, method, p, i, NULL);
    Py_XDECREF(p); Py_XDECREF(i);
    if (rc < 0) return -1;
    sl_drop(s);
    return sl_open(s, s->o) < 0 ? -1 : 0;      /* emptied (0): the next step is the library's */
}

/* _index[child] += d from the sublist's leaf to the root, as _expand and _delete do it */
static int sl_index_step(SL *s, Py_ssize_t pos, long d) {
    PyObject *index = s->index;
    if (PyList_GET_SIZE(index) == 0) return 0;
    PyObject *off = cattr(s->o, s__offset);
    if (off == NULL) return -1;
    Py_ssize_t child = PyLong_AsSsize_t(off);
    Py_DECREF(off);
    if (child == -1 && PyErr_Occurred()) return -1;
    child += pos;
    for (;;) {
        if (child < 0 || child >= PyList_GET_SIZE(index)) {
            PyErr_SetString(PyExc_RuntimeError, "a sorted set's position index is out of step");
            return -1;
        }
        PyObject *v = PyList_GET_ITEM(index, child);
        long n = PyLong_AsLong(v);
        if (n == -1 && PyErr_Occurred()) return -1;
        PyObject *w = PyLong_FromLong(n + d);
        if (w == NULL) return -1;
        PyList_SetItem(index, child, w);        /* steals w */
        if (child == 0) return 0;
        child = (child - 1) >> 1;
    }
}

static PyObject *sl_sub(SL *s, Py_ssize_t pos) {
    PyObject *sub = PyList_GET_ITEM(s->lists, pos);
    if (!PyList_CheckExact(sub) || PyList_GET_SIZE(sub) == 0) {
        PyErr_SetString(PyExc_SystemError, "a sorted set's SortedList holds something else than lists");
        return NULL;
    }
    return sub;
}

/* SortedList.add(pair) */
static int sl_add(SL *s, PyObject *pair) {
    PyObject *sub;
    if (s->lists == NULL) return call_method_discard(s->o, s_add, pair, NULL, NULL);   /* the library's */
    Py_ssize_t pos = pair_bisect(s->maxes, pair, 1);
    if (pos < 0) return -1;
    if (pos == PyList_GET_SIZE(s->maxes)) {
        pos -= 1;
        if (!(sub = sl_sub(s, pos)) || PyList_Append(sub, pair) < 0) return -1;
        Py_INCREF(pair);
        PyList_SetItem(s->maxes, pos, pair);
    } else {
        if (!(sub = sl_sub(s, pos))) return -1;
        Py_ssize_t i = pair_bisect(sub, pair, 1);
        if (i < 0 || PyList_Insert(sub, i, pair) < 0) return -1;
    }
    s->len_delta += 1;
    if (PyList_GET_SIZE(sub) > (s->load << 1))         /* a split: the library's _expand */
        return sl_call(s, s__expand, pos, -1);
    return sl_index_step(s, pos, 1);
}

/* SortedList._delete(pos, idx): the sublist's item goes; a sublist left with half its load
 * or less is merged by the library's method */
static int sl_delete(SL *s, Py_ssize_t pos, Py_ssize_t idx) {
    PyObject *sub = PyList_GET_ITEM(s->lists, pos);
    Py_ssize_t n = PyList_GET_SIZE(sub);
    if (n - 1 <= (s->load >> 1)) return sl_call(s, s__delete, pos, idx);
    if (n - 1 >= ((PyListObject *)sub)->allocated >> 1) {
        /* del sub[idx] where the list would keep its allocation: the pointers after it move down */
        PyObject **items = ((PyListObject *)sub)->ob_item, *gone = items[idx];
        memmove(&items[idx], &items[idx + 1], (size_t)(n - idx - 1) * sizeof(PyObject *));
        Py_SET_SIZE(sub, n - 1);
        Py_DECREF(gone);
    } else if (PyList_SetSlice(sub, idx, idx + 1, NULL) < 0) {     /* and shrink it, as del does */
        return -1;
    }
    PyObject *last = PyList_GET_ITEM(sub, n - 2);
    Py_INCREF(last);
    PyList_SetItem(s->maxes, pos, last);
    s->len_delta -= 1;
    return sl_index_step(s, pos, -1);
}

/* SortedList.remove(pair) for a pair it holds */
static int sl_remove(SL *s, PyObject *pair) {
    PyObject *sub;
    if (s->lists == NULL) return call_method_discard(s->o, s_remove, pair, NULL, NULL);
    Py_ssize_t pos = pair_bisect(s->maxes, pair, 0), idx;
    if (pos < 0) return -1;
    if (pos == PyList_GET_SIZE(s->maxes) || !(sub = sl_sub(s, pos))
        || (idx = pair_bisect(sub, pair, 0)) < 0 || idx >= PyList_GET_SIZE(sub)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a sorted set's member is missing from its order");
        return -1;
    }
    int eq = PyObject_RichCompareBool(PyList_GET_ITEM(sub, idx), pair, Py_EQ);
    if (eq <= 0) {
        if (eq == 0) PyErr_SetString(PyExc_ValueError, "a sorted set's member is missing from its order");
        return -1;
    }
    return sl_delete(s, pos, idx);
}

/* SortedList.pop(0) (first) or pop(-1): the pair, a new reference */
static PyObject *sl_pop(SL *s, int first) {
    if (s->lists == NULL) {
        PyObject *where = PyLong_FromLong(first ? 0 : -1);
        PyObject *v = where == NULL ? NULL : call_method(s->o, s_pop, where, NULL, NULL);
        Py_XDECREF(where);
        return v;
    }
    Py_ssize_t pos = first ? 0 : PyList_GET_SIZE(s->lists) - 1;
    PyObject *sub = sl_sub(s, pos);
    if (sub == NULL) return NULL;
    Py_ssize_t idx = first ? 0 : PyList_GET_SIZE(sub) - 1;
    PyObject *val = PyList_GET_ITEM(sub, idx);
    Py_INCREF(val);
    if (sl_delete(s, pos, idx) < 0) Py_CLEAR(val);
    return val;
}

/* ZPOPMIN/ZPOPMAX without a count (commands/zsets.py _zpop) from a big sorted set (the
 * SortedList form) of two or more members, as ZSet.pop(1) does it: one SortedList.pop (sl_pop:
 * the library's steps), the member's score dropped; the reply [member, score]. A missing
 * key replies an empty array; small sets and the last member are the handler's. */
static int native_zpop(int kind, PyObject *args, PyObject *zs, PyObject **reply, int *changed) {
    if (PyList_GET_SIZE(args) != 2 || ZSet_type == NULL) return NATIVE_FALLBACK;
    if (zs == NULL) return (*reply = PyList_New(0)) == NULL ? -1 : 1;
    if (Py_TYPE(zs) != (PyTypeObject *)ZSet_type) return NATIVE_FALLBACK;
    int rc = NATIVE_FALLBACK;
    PyObject *m = NULL, *o = NULL, *scores = NULL, *popped = NULL, *member = NULL;
    if (!(m = cattr(zs, s__m)) || !(o = cattr(zs, s__o))
        || !(scores = cattr(zs, s_big_scores))) { rc = -1; goto done; }
    if (m != Py_None || !PyDict_CheckExact(scores) || PyDict_GET_SIZE(scores) < 2) goto done;
    SL sl;
    if (sl_open(&sl, o) < 0) { rc = -1; goto done; }
    popped = sl_pop(&sl, kind != NATIVE_ZPOPMAX);
    if (sl_close(&sl, popped == NULL ? -1 : 0) < 0) { rc = -1; goto done; }
    *changed = 1;
    if (!PyTuple_CheckExact(popped) || PyTuple_GET_SIZE(popped) != 2) {
        PyErr_SetString(PyExc_SystemError, "a sorted set's SortedList holds something else than (score, key)");
        rc = -1;
        goto done;
    }
    PyObject *k = PyTuple_GET_ITEM(popped, 1);
    if (PyUnicode_CheckExact(k) && PyUnicode_IS_ASCII(k)) {
        Py_INCREF(k);
        member = k;
    } else if (!(member = PyObject_CallOneArg(unkey_fn, k))) {
        rc = -1;
        goto done;
    }
    if (PyDict_DelItem(scores, member) < 0) { rc = -1; goto done; }
    if (!(*reply = PyList_New(2))) { rc = -1; goto done; }
    PyObject *score = PyTuple_GET_ITEM(popped, 0);
    Py_INCREF(score);
    PyList_SET_ITEM(*reply, 0, member);
    PyList_SET_ITEM(*reply, 1, score);
    member = NULL;
    rc = 1;
done:
    Py_XDECREF(m); Py_XDECREF(o); Py_XDECREF(scores); Py_XDECREF(popped); Py_XDECREF(member);
    return rc;
}

/* MSET (commands/strings.py _mset): every key an exact str not in db.expires, holding an
 * exact str or nothing, with no remembered encoding; every value an exact str. Then the pairs
 * are set in order (a repeated key: the last wins), one change each. */
static int native_mset(Plain *p, PyObject *args, PyObject **reply, int *changed) {
    Py_ssize_t n = PyList_GET_SIZE(args);
    if (n % 2 == 0) return NATIVE_FALLBACK;            /* the arity error is the handler's */
    int rc;
    for (Py_ssize_t i = 1; i < n; i += 2) {
        PyObject *key = PyList_GET_ITEM(args, i);
        if ((rc = plain_key(p, key)) <= 0 || (rc = plain_unmarked(p, key)) <= 0) return rc;
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(args, i + 1))) return NATIVE_FALLBACK;
        PyObject *v = PyDict_GetItemWithError(p->data, key);
        if (v == NULL && PyErr_Occurred()) return -1;
        if (v != NULL && !PyUnicode_CheckExact(v)) return NATIVE_FALLBACK;
    }
    for (Py_ssize_t i = 1; i < n; i += 2) {
        if (PyDict_SetItem(p->data, PyList_GET_ITEM(args, i), PyList_GET_ITEM(args, i + 1)) < 0) return -1;
        *changed += 1;
    }
    Py_INCREF(ok_reply);
    *reply = ok_reply;
    return 1;
}

/* ZADD key score member (commands/zsets.py zadd) into a big sorted set: a score of ASCII
 * digits only, at most 15 (exact as a double: what parse_score returns for it), an ASCII
 * member (its own sort key); ZSet.put's big branch: unchanged, re-scored (SortedList.remove
 * and add: sl_remove, sl_add) or added (the ZSCAN snapshot dropped). */
static int native_zadd(PyObject *args, PyObject *zs, PyObject **reply, int *changed) {
    if (PyList_GET_SIZE(args) != 4 || ZSet_type == NULL || zs == NULL || Py_TYPE(zs) != (PyTypeObject *)ZSet_type)
        return NATIVE_FALLBACK;
    PyObject *sarg = PyList_GET_ITEM(args, 2), *member = PyList_GET_ITEM(args, 3);
    if (!PyUnicode_CheckExact(sarg) || !PyUnicode_IS_ASCII(sarg) || !PyUnicode_CheckExact(member)
        || !PyUnicode_IS_ASCII(member))
        return NATIVE_FALLBACK;
    const char *d = (const char *)PyUnicode_DATA(sarg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(sarg);
    if (n < 1 || n > 15) return NATIVE_FALLBACK;   /* leading zeros too (redis-benchmark's
                                                      * __rand_int__): parse_score's strtod reads them alike */
    long long x = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9') return NATIVE_FALLBACK;
        x = x * 10 + (d[i] - '0');
    }
    double score = (double)x;       /* float(s): exact below 2**53 */
    int rc = NATIVE_FALLBACK;
    PyObject *m = NULL, *o = NULL, *scores = NULL, *fscore = NULL, *pair = NULL;
    if (!(m = cattr(zs, s__m)) || !(o = cattr(zs, s__o)) || !(scores = cattr(zs, s_big_scores))) { rc = -1; goto done; }
    if (m != Py_None || !PyDict_CheckExact(scores)) goto done;
    PyObject *old = PyDict_GetItemWithError(scores, member);       /* borrowed */
    if (old == NULL && PyErr_Occurred()) { rc = -1; goto done; }
    if (old != NULL && !PyFloat_CheckExact(old)) goto done;
    if (old != NULL && PyFloat_AS_DOUBLE(old) == score) {           /* the same score: nothing */
        rc = (*reply = PyLong_FromLong(0)) == NULL ? -1 : 1;
        goto done;
    }
    rc = -1;
    if (!(fscore = PyFloat_FromDouble(score))) goto done;
    SL sl;
    if (sl_open(&sl, o) < 0) goto done;
    int step = 0;
    if (old != NULL) {              /* order.remove((old, key)) */
        PyObject *was = PyTuple_Pack(2, old, member);
        step = was == NULL ? -1 : sl_remove(&sl, was);
        Py_XDECREF(was);
    }
    if (step == 0 && PyDict_SetItem(scores, member, fscore) < 0) step = -1;
    if (step == 0) {
        *changed = 1;
        step = (pair = PyTuple_Pack(2, fscore, member)) == NULL ? -1 : 0;
        /* a float and a str can make no cycle: untracked, as the collector would leave it at
         * its first pass, it costs no collection a visit, nor two other objects' cache lines
         * when it is freed */
        if (step == 0) { PyObject_GC_UnTrack(pair); step = sl_add(&sl, pair); }
    }
    if (sl_close(&sl, step) < 0) goto done;
    if (old == NULL && cset(zs, s_scan_snapshot, Py_None) < 0) goto done;
    rc = (*reply = PyLong_FromLong(old == NULL)) == NULL ? -1 : 1;
done:
    Py_XDECREF(m); Py_XDECREF(o); Py_XDECREF(scores); Py_XDECREF(fscore); Py_XDECREF(pair);
    return rc;
}

/* ---- native XADD: keyspace/stream.py Stream.append for the entry's listpack bytes */

/* listpack.c's integer encoding size of v (stream.py _int_size) */
static int lp_int_size(long long v) {
    if (0 <= v && v <= 127) return 1;
    if (-4096 <= v && v <= 4095) return 2;
    if (-32768 <= v && v <= 32767) return 3;
    if (-8388608 <= v && v <= 8388607) return 4;
    if (-2147483648LL <= v && v <= 2147483647LL) return 5;
    return 9;
}

/* stream.py lp_int: the encoding and its one backlen byte */
static inline long long lp_int(long long v) { return lp_int_size(v) + 1; }

/* lp_int(a - b) for two unsigned 64-bit halves of IDs, exact as Python's ints */
static long long lp_int_diff(unsigned long long a, unsigned long long b) {
    if (a >= b) return a - b > (unsigned long long)LLONG_MAX ? 10 : lp_int((long long)(a - b));
    return b - a > (unsigned long long)LLONG_MAX ? 10 : lp_int(-(long long)(b - a));
}

static inline int backlen_size(long long n) {
    return n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
}

/* stream.py lp_str for an ASCII string: a short text, an int64 in canonical form, or a string */
static long long lp_str_ascii(PyObject *o) {
    const char *d = (const char *)PyUnicode_DATA(o);
    Py_ssize_t n = PyUnicode_GET_LENGTH(o);
    if (n < 62 && !(n > 0 && ((d[0] >= '0' && d[0] <= '9') || d[0] == '-'))) return n + 2;
    if (0 < n && n < 21) {
        int neg = d[0] == '-';
        Py_ssize_t i = neg;
        int digits = n > neg;
        for (; i < n && digits; i++) digits = d[i] >= '0' && d[i] <= '9';
        if (digits && !(d[0] == '0' && n > 1) && !(neg && d[1] == '0')) {
            unsigned long long m = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
            int fits = 1;
            for (i = neg; i < n && fits; i++) {
                unsigned k = (unsigned)(d[i] - '0');
                if (m > (lim - k) / 10) fits = 0;
                else m = m * 10 + k;
            }
            if (fits) return lp_int(neg ? (m == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)m) : (long long)m);
        }
    }
    long long size = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
    return size + backlen_size(size);
}

/* an int in [0, 2**128) as its two 64-bit halves: 1, 0 (anything else), -1 */
static int u128(PyObject *v, unsigned long long *hi, unsigned long long *lo) {
    if (!PyLong_CheckExact(v)) return 0;
    int of;
    long x = PyLong_AsLongAndOverflow(v, &of);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (of < 0 || (of == 0 && x < 0)) return 0;
    *lo = PyLong_AsUnsignedLongLongMask(v);
    if (*lo == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    if (of == 0) { *hi = 0; return 1; }
    PyObject *sh = PyLong_FromLong(64), *h = sh == NULL ? NULL : PyNumber_Rshift(v, sh);
    Py_XDECREF(sh);
    if (h == NULL) return -1;
    *hi = PyLong_AsUnsignedLongLong(h);
    Py_DECREF(h);
    if (*hi == (unsigned long long)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
        PyErr_Clear();
        return 0;
    }
    return 1;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 id128;
#define ID_BASE ((((id128)1) << 64) + stream_id_extra)
#define MS_LIMIT (1ULL << 63)   /* below it, ms * ID_BASE + seq fits 128 bits (extra < 2**60) */

/* a stream ID (keyspace/stream.py make_id: ms * ID_BASE + seq) as (ms, seq), for ms below
 * MS_LIMIT: 1, 0 (anything else), -1 */
static int id_split(PyObject *v, unsigned long long *ms, unsigned long long *seq) {
    unsigned long long hi, lo;
    int r = stream_id_extra ? u128(v, &hi, &lo) : 0;
    if (r <= 0) return r;
    id128 x = ((id128)hi << 64) | lo;
    id128 m = x / ID_BASE;
    if (m >= MS_LIMIT) return 0;
    *ms = (unsigned long long)m;
    *seq = (unsigned long long)(x - m * ID_BASE);
    return 1;
}

/* make_id(ms, seq) for ms up to MS_LIMIT */
static PyObject *id_new(unsigned long long ms, unsigned long long seq) {
    id128 x = (id128)ms * ID_BASE + seq;
    PyObject *l = PyLong_FromUnsignedLongLong((unsigned long long)x);
    unsigned long long hi = (unsigned long long)(x >> 64);
    if (hi == 0 || l == NULL) return l;
    PyObject *h = PyLong_FromUnsignedLongLong(hi), *sh = PyLong_FromLong(64), *hs = NULL, *r = NULL;
    if (h && sh && (hs = PyNumber_Lshift(h, sh))) r = PyNumber_Or(hs, l);
    Py_XDECREF(h); Py_XDECREF(sh); Py_XDECREF(hs); Py_DECREF(l);
    return r;
}
#else
/* no 128-bit arithmetic: the native XADD leaves every ID to the handler */
static int id_split(PyObject *v, unsigned long long *ms, unsigned long long *seq) { return 0; }
static PyObject *id_new(unsigned long long ms, unsigned long long seq) { Py_RETURN_NONE; }
#endif

/* commands/streams.py now_ms: int(time.time() * 1000), with time.time's own rounding */
static unsigned long long stream_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    double d = ns % 1000000000LL == 0 ? (double)(ns / 1000000000LL) : (double)ns / 1e9;
    d *= 1000.0;
    return d < 0 ? 0 : (unsigned long long)d;
}

/* an exact int attribute that fits a long long: 1, 0, -1 */
static int attr_ll(PyObject *o, PyObject *name, long long *out) {
    PyObject *v = cattr(o, name);
    if (v == NULL) return -1;
    int r = 0;
    if (PyLong_CheckExact(v)) {
        int of;
        *out = PyLong_AsLongLongAndOverflow(v, &of);
        r = *out == -1 && PyErr_Occurred() ? -1 : of == 0;
    }
    Py_DECREF(v);
    return r;
}

/* XADD key * field value [...] (commands/streams.py xadd, its plain form) into an existing
 * stream: the ID from the clock (or the last ID + 1), the entry into the last node (its
 * listpack bytes as Stream.append counts them) and the last sublist of the IDs. Everything
 * is decided before anything changes; a new node, a full sublist, a non-ASCII string or an
 * ID at its limit are the handler's. */
static int native_xadd(PyObject *c, PyObject *args, PyObject *s, PyObject **reply, int *changed) {
    Py_ssize_t n = PyList_GET_SIZE(args), nf = n - 3;
    if (Stream_type == NULL || s == NULL || Py_TYPE(s) != (PyTypeObject *)Stream_type || nf < 2 || nf % 2)
        return NATIVE_FALLBACK;
    PyObject *star = PyList_GET_ITEM(args, 2);
    if (!PyUnicode_CheckExact(star) || PyUnicode_GET_LENGTH(star) != 1 || PyUnicode_READ_CHAR(star, 0) != '*')
        return NATIVE_FALLBACK;
    long long total = 0;
    for (Py_ssize_t i = 3; i < n; i++) {
        PyObject *f = PyList_GET_ITEM(args, i);
        if (!PyUnicode_CheckExact(f) || !PyUnicode_IS_ASCII(f)) return NATIVE_FALLBACK;
        total += PyUnicode_GET_LENGTH(f);
    }
    int rc = -1, r;
    PyObject *nodes = NULL, *node = NULL, *nkey = NULL, *names = NULL, *entries = NULL, *ids = NULL;
    PyObject *lists = NULL, *maxes = NULL, *index = NULL, *last = NULL, *pe = NULL, *pb = NULL;
    PyObject *id = NULL, *fields = NULL, *sid = NULL;
    long long max_entries = 0, max_bytes = 0, live, deleted, size, load, len;
    unsigned long long lhi, llo, khi, klo, hi, lo;
    /* node_limits(c): the handler sets them on the stream first (CONFIG SET applies at once) */
    if ((r = config_ll(c, &cfg_node_entries, "stream-node-max-entries", &max_entries)) <= 0
        || (r = config_ll(c, &cfg_node_bytes, "stream-node-max-bytes", &max_bytes)) <= 0) { rc = r; goto done; }
    if (!(nodes = cattr(s, s_nodes)) || !(entries = cattr(s, s_entries)) || !(ids = cattr(s, s_ids))
        || !(last = cattr(s, s_last_id)))
        goto done;
    rc = NATIVE_FALLBACK;
    if (!PyList_CheckExact(nodes) || !PyList_GET_SIZE(nodes) || !PyDict_CheckExact(entries)
        || SortedList_type == NULL || Py_TYPE(ids) != SortedList_type)
        goto done;
    node = PyList_GET_ITEM(nodes, PyList_GET_SIZE(nodes) - 1);
    Py_INCREF(node);
    if (Py_TYPE(node) != (PyTypeObject *)StreamNode_type) goto done;
    /* (an ms from MS_LIMIT up, exhausted IDs among them, is the handler's) */
    if ((r = id_split(last, &lhi, &llo)) <= 0) { rc = r; goto done; }
    unsigned long long ms = stream_now_ms();
    if (ms > lhi) { hi = ms; lo = 0; }
    else if (llo == ULLONG_MAX) { hi = lhi + 1; lo = 0; }        /* seq overflow carries into ms */
    else { hi = lhi; lo = llo + 1; }
    /* the last node takes it (Stream.append's test), and where it goes in the node */
    if ((r = attr_ll(node, s_live, &live)) <= 0 || (r = attr_ll(node, s_deleted, &deleted)) <= 0
        || (r = attr_ll(node, s_size, &size)) <= 0) { rc = r; goto done; }
    if (!(nkey = cattr(node, s_key)) || !(names = cattr(node, s_fields))) { rc = -1; goto done; }
    if ((r = id_split(nkey, &khi, &klo)) <= 0 || !PyTuple_CheckExact(names)) { rc = r < 0 ? -1 : NATIVE_FALLBACK; goto done; }
    long long cap = max_bytes <= 0 || max_bytes > (1LL << 30) ? (1LL << 30) : max_bytes;
    long long bytes = size + (live <= 127 ? 2 : lp_int(live)) + (deleted <= 127 ? 2 : lp_int(deleted));
    if (bytes + total >= cap || (max_entries && live + deleted >= max_entries)) goto done;   /* a new node */
    long long add;
    if (hi >= khi && hi - khi <= 127 && lo >= klo && lo - klo <= 127) add = 6;
    else add = 2 + lp_int_diff(hi, khi) + lp_int_diff(lo, klo);
    Py_ssize_t npairs = nf / 2;
    int same = PyTuple_GET_SIZE(names) == npairs;
    for (Py_ssize_t i = 0; same && i < npairs; i++) {
        PyObject *a = PyTuple_GET_ITEM(names, i), *b = PyList_GET_ITEM(args, 3 + 2 * i);
        if (!PyUnicode_CheckExact(a)) goto done;       /* (a name that is not a str: the handler's) */
        if ((same = PyUnicode_Compare(a, b) == 0) == 0 && PyErr_Occurred()) goto error;
    }
    if (same) {
        for (Py_ssize_t i = 4; i < n; i += 2) add += lp_str_ascii(PyList_GET_ITEM(args, i));
        add += npairs < 125 ? 2 : lp_int(npairs + 3);
    } else {
        add += lp_int(npairs);
        for (Py_ssize_t i = 3; i < n; i++) add += lp_str_ascii(PyList_GET_ITEM(args, i));
        add += lp_int(2 * npairs + 4);
    }
    /* the IDs: appended to the last sublist while it has room (Stream.append's own shortcut) */
    if (!(lists = cattr(ids, s__lists)) || !(maxes = cattr(ids, s__maxes)) || !(index = cattr(ids, s__index)))
        goto error;
    if ((r = attr_ll(ids, s__load, &load)) <= 0 || (r = attr_ll(ids, s__len, &len)) <= 0) { rc = r; goto done; }
    if (!PyList_CheckExact(lists) || !PyList_GET_SIZE(lists) || !PyList_CheckExact(maxes)
        || PyList_GET_SIZE(maxes) != PyList_GET_SIZE(lists) || !PyList_CheckExact(index))
        goto done;
    PyObject *tail = PyList_GET_ITEM(lists, PyList_GET_SIZE(lists) - 1);
    if (!PyList_CheckExact(tail) || load < 0 || load > (1LL << 40) || PyList_GET_SIZE(tail) >= (load << 1)) goto done;
    /* decided: the handler's effects, in its order */
    if (!(id = id_new(hi, lo)) || !(fields = PyTuple_New(nf))) goto error;
    for (Py_ssize_t i = 0; i < nf; i++) {
        PyObject *f = PyList_GET_ITEM(args, 3 + i);
        Py_INCREF(f);
        PyTuple_SET_ITEM(fields, i, f);
    }
    if (!(pe = PyLong_FromLongLong(max_entries)) || !(pb = PyLong_FromLongLong(max_bytes))
        || cset(s, s_node_max_entries, pe) < 0 || cset(s, s_node_max_bytes, pb) < 0)
        goto error;
    *changed = 1;           /* from here on the stream is being changed */
    PyObject *v;
    if (!(v = PyLong_FromLongLong(size + add)) || cset(node, s_size, v) < 0) { Py_XDECREF(v); goto error; }
    Py_DECREF(v);
    if (!(v = PyLong_FromLongLong(live + 1)) || cset(node, s_live, v) < 0) { Py_XDECREF(v); goto error; }
    Py_DECREF(v);
    if (cset(node, s_last, id) < 0 || PyDict_SetItem(entries, id, fields) < 0) goto error;
    if (PyList_Append(tail, id) < 0) goto error;
    Py_INCREF(id);                  /* (the reference PyList_SetItem takes over) */
    if (PyList_SetItem(maxes, PyList_GET_SIZE(maxes) - 1, id) < 0) goto error;
    if (!(v = PyLong_FromLongLong(len + 1)) || cset(ids, s__len, v) < 0) { Py_XDECREF(v); goto error; }
    Py_DECREF(v);
    if (PyList_GET_SIZE(index) && PyList_SetSlice(index, 0, PyList_GET_SIZE(index), NULL) < 0) goto error;
    if (cset(s, s_last_id, id) < 0 || attr_add(s, s_entries_added, 1) < 0) goto error;
    if (PyDict_GET_SIZE(entries) == 1 && cset(s, s_first_id, id) < 0) goto error;
    char buf[48];
    int k = fmt_sign_ull(buf, 0, hi);           /* "%llu-%llu" */
    buf[k++] = '-';
    k += fmt_sign_ull(buf + k, 0, lo);
    if (!(sid = PyUnicode_FromStringAndSize(buf, k))) goto error;
    *reply = sid;
    sid = NULL;
    rc = 1;
    goto done;
error:
    rc = -1;
done:
    Py_XDECREF(nodes); Py_XDECREF(node); Py_XDECREF(nkey); Py_XDECREF(names); Py_XDECREF(entries);
    Py_XDECREF(ids); Py_XDECREF(lists); Py_XDECREF(maxes); Py_XDECREF(index); Py_XDECREF(last);
    Py_XDECREF(pe); Py_XDECREF(pb); Py_XDECREF(id); Py_XDECREF(fields); Py_XDECREF(sid);
    return rc;
}

/* The command of kind on a key whose db- and key-level preconditions hold (plain_db,
 * plain_key), with writes allowed when plain_writes held: 1 with the reply in *reply,
 * whether the key was there in *found (the caller counts the lookup) and whether the
 * command changed the key in *changed (the caller counts it dirty), NATIVE_FALLBACK, or -1.
 * Only a write changes anything: data[key] or the list there. */
static int native_op(int kind, PyObject *c, Plain *p, int writes, PyObject *args, PyObject **reply,
                     int *found, int *changed) {
    PyObject *key = PyList_GET_ITEM(args, 1);
    PyObject *v = PyDict_GetItemWithError(p->data, key);       /* borrowed */
    if (v == NULL && PyErr_Occurred()) return -1;
    *found = v != NULL;
    *changed = 0;
    if (kind == NATIVE_ZADD) return writes ? native_zadd(args, v, reply, changed) : NATIVE_FALLBACK;
    if (kind == NATIVE_XADD) return writes ? native_xadd(c, args, v, reply, changed) : NATIVE_FALLBACK;
    if (kind == NATIVE_MSET) return writes ? native_mset(p, args, reply, changed) : NATIVE_FALLBACK;
    if (kind >= NATIVE_ZPOPMIN) return writes ? native_zpop(kind, args, v, reply, changed) : NATIVE_FALLBACK;
    if (kind == NATIVE_SPOP) return writes ? native_spop(p, args, v, reply, changed) : NATIVE_FALLBACK;
    if (kind >= NATIVE_SADD) return native_coll(kind, c, p, writes, args, v, reply, changed);
    if (kind >= NATIVE_LPUSH) return native_list(kind, p, writes, args, v, reply, changed);
    if (v != NULL && !PyUnicode_CheckExact(v)) return NATIVE_FALLBACK;
    if (kind == NATIVE_GET) {
        if (v == NULL) v = Py_None;
        Py_INCREF(v);
        *reply = v;
        return 1;
    }
    if (!writes) return NATIVE_FALLBACK;
    PyObject *value, *result;
    if (kind == NATIVE_SET) {
        value = PyList_GET_ITEM(args, 2);
        if (!PyUnicode_CheckExact(value)) return NATIVE_FALLBACK;
        Py_INCREF(value);
        Py_INCREF(ok_reply);
        result = ok_reply;
    } else {
        long long n = 0;
        int r;
        if (v != NULL && (r = strict_ll(v, &n)) <= 0) return r;     /* -1 or NATIVE_FALLBACK */
        if (n == LLONG_MAX) return NATIVE_FALLBACK;
        char tmp[32];
        int k = fmt_ll(tmp, n + 1);
        if (!(value = PyUnicode_FromStringAndSize(tmp, k))) return -1;
        if (!(result = PyLong_FromLongLong(n + 1))) { Py_DECREF(value); return -1; }
    }
    int r = plain_unmarked(p, key);
    if (r > 0 && PyDict_SetItem(p->data, key, value) < 0) r = -1;
    Py_DECREF(value);
    if (r <= 0) { Py_DECREF(result); return r; }
    *reply = result;
    *changed = 1;
    return 1;
}

/* lookup's keyspace_hits / keyspace_misses */
static int count_lookup(PyObject *ks, int found) {
    int r = attr_true(ks, s_read_cmd);
    if (r <= 0) return r;
    return attr_add(ks, found ? s_hits : s_misses, 1);
}

/* The command of kind for c, every precondition checked here (run_batch's full path): 1 with
 * the reply in *reply, NATIVE_FALLBACK, or -1. */
static int run_native(int kind, PyObject *c, Py_ssize_t db_off, PyObject *args, PyObject **reply) {
    if (!PyList_CheckExact(args) || PyList_GET_SIZE(args) < 2) return NATIVE_FALLBACK;
    if (kind == NATIVE_SPOP || kind == NATIVE_XADD) {   /* only in a run, where nothing is propagated */
        native_fallbacks[kind]++;
        return NATIVE_FALLBACK;
    }
    if (kind == NATIVE_SET && PyList_GET_SIZE(args) != 3) return NATIVE_FALLBACK;
    Plain p;
    int found = 0, writes = 0, changed = 0;
    int r = plain_db(c, db_off, &p);
    if (r > 0) r = plain_key(&p, PyList_GET_ITEM(args, 1));
    if (r > 0 && kind != NATIVE_GET) r = writes = plain_writes(&p);
    if (r > 0) r = native_op(kind, c, &p, writes, args, reply, &found, &changed);
    if (r > 0 && (count_lookup(p.ks, found) < 0 || (changed && attr_add(p.ks, s_dirty, changed) < 0))) {
        Py_CLEAR(*reply);       /* data[key] is written: as a handler failing after its write */
        r = -1;
    }
    plain_clear(&p);
    if (r == NATIVE_FALLBACK) native_fallbacks[kind]++;
    else if (r > 0) native_runs[kind]++;
    return r;
}

/* configure_native(Database, {name: handler}, OK): see NATIVE in engine/call.py */
static PyObject *configure_native(PyObject *module, PyObject *args) {
    PyObject *dbt, *handlers, *ok;
    if (!PyArg_ParseTuple(args, "O!O!O:configure_native", &PyType_Type, &dbt, &PyDict_Type, &handlers, &ok))
        return NULL;
    for (int k = 1; k < NATIVE_N; k++) {
        PyObject *h = PyDict_GetItemString(handlers, native_names[k]);     /* borrowed */
        Py_XINCREF(h);
        Py_XSETREF(native_handler[k], h);
    }
    Py_INCREF(dbt);
    Py_XSETREF(Database_type, (PyTypeObject *)dbt);
    Py_INCREF(ok);
    Py_XSETREF(ok_reply, ok);
    Py_RETURN_NONE;
}

/* configure_pools(Pool, random.random): what the native SPOP picks with */
static PyObject *configure_pools(PyObject *module, PyObject *args) {
    PyObject *pool, *rnd;
    if (!PyArg_ParseTuple(args, "O!O:configure_pools", &PyType_Type, &pool, &rnd)) return NULL;
    Py_INCREF(pool);
    Py_XSETREF(Pool_type, pool);
    Py_INCREF(rnd);
    Py_XSETREF(random_fn, rnd);
    Py_RETURN_NONE;
}

/* configure_zsets(ZSet, unkey[, SmallHash[, SortedList]]): what the native ZPOPMIN/ZPOPMAX pop
 * from, the packed hash the native HSET writes into, and the sorted list the native ZADD
 * inserts into itself (without it, through its methods) */
static PyObject *configure_zsets(PyObject *module, PyObject *args) {
    PyObject *zset, *unkey, *small = NULL, *sorted = NULL;
    if (!PyArg_ParseTuple(args, "O!O|O!O!:configure_zsets", &PyType_Type, &zset, &unkey, &PyType_Type, &small,
                          &PyType_Type, &sorted))
        return NULL;
    Py_XINCREF(sorted);
    Py_XSETREF(SortedList_type, (PyTypeObject *)sorted);
    Py_XINCREF(small);
    Py_XSETREF(SmallHash_type, small);
    Py_INCREF(zset);
    Py_XSETREF(ZSet_type, zset);
    Py_INCREF(unkey);
    Py_XSETREF(unkey_fn, unkey);
    Py_RETURN_NONE;
}

/* configure_streams(Stream, Node, ID_BASE): what the native XADD appends to, and how IDs
 * are made (ID_BASE - 2**64 in [1, 2**60)) */
static PyObject *configure_streams(PyObject *module, PyObject *args) {
    PyObject *stream, *node, *base;
    unsigned long long hi, lo;
    if (!PyArg_ParseTuple(args, "O!O!O!:configure_streams", &PyType_Type, &stream, &PyType_Type, &node,
                          &PyLong_Type, &base)) return NULL;
    int r = u128(base, &hi, &lo);
    if (r < 0) return NULL;
    if (r == 0 || hi != 1 || lo == 0 || lo >= (1ULL << 60)) {
        PyErr_SetString(PyExc_ValueError, "ID_BASE must be 2**64 + [1, 2**60)");
        return NULL;
    }
    stream_id_extra = lo;
    Py_INCREF(stream);
    Py_XSETREF(Stream_type, stream);
    Py_INCREF(node);
    Py_XSETREF(StreamNode_type, node);
    Py_RETURN_NONE;
}

/* native_stats() -> {name: (runs, fallbacks)}: how often each native command ran here */
static PyObject *native_stats(PyObject *module, PyObject *unused) {
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    for (int k = 1; k < NATIVE_N; k++) {
        PyObject *t = Py_BuildValue("(KK)", native_runs[k], native_fallbacks[k]);
        if (t == NULL || PyDict_SetItemString(d, native_names[k], t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(t);
    }
    return d;
}

/* ------------------------------------------------------------------ runs of native commands
 *
 * Within one run_batch, the preconditions above depend on nothing a native command changes:
 * once checked, they hold until Python code runs again (a handler, process(), reject(), the
 * SLOWLOG...). So for a run of native commands they are checked once (run_env; those of
 * writes at the run's first write, run_writes), and the effects Python code could see (hits,
 * misses, dirty, the command's calls and time, c.last_command, ks.read_cmd, the replies on
 * c.out and c.out_bytes) are gathered here and written back (run_settle) before any Python
 * code runs and before run_batch returns: no Python code can tell. Only data[key] is written
 * at once. */

typedef struct {
    int env;                    /* 1: the preconditions were checked and hold (p is filled);
                                 * -1: they do not hold; 0: not checked since Python last ran */
    int writes_known;           /* the two below were checked (at the run's first write:
                                 * a run of reads never needs them) */
    int plain_writes;           /* plain_writes holds */
    int writes;                 /* and nothing is propagated (prop.active is false), c.prop
                                 * is None */
    PyObject *prop;             /* engine.propagation (borrowed: run_batch holds it) */
    Encoder *enc;               /* c.encode, when it is our Encoder (new reference) */
    long long slow_ns;          /* stats.slow_ns */
    Plain p;
    PyObject *cmd[NATIVE_N];    /* the Command each native kind was met as in this batch (new
                                 * references; a command's flags do not change) */
    long arity[NATIVE_N];
    int readonly[NATIVE_N];
    /* gathered effects, written back by run_settle */
    int pending, last;          /* last: the kind of the last command run */
    long long calls[NATIVE_N], ns[NATIVE_N], hits, misses, dirty;
    Buf out;                    /* the encoded replies, in order */
} NativeRun;

static void run_init(NativeRun *r) {
    memset(r, 0, sizeof(*r));
    buf_init(&r->out);
}

static void run_forget_env(NativeRun *r) {
    r->env = 0;
    plain_clear(&r->p);
    Py_CLEAR(r->enc);
}

static void run_free(NativeRun *r) {
    run_forget_env(r);
    for (int k = 1; k < NATIVE_N; k++) Py_CLEAR(r->cmd[k]);
    buf_free(&r->out);
}


/* Write the gathered effects back, in the order the Python path makes them visible. */
static int run_settle(NativeRun *r, PyObject *c, const Py_ssize_t *cx, PyObject *out) {
    if (!r->pending) return 0;
    r->pending = 0;
    PyObject *ks = r->p.ks, *cmd = r->cmd[r->last];
    for (int k = 1; k < NATIVE_N; k++) {
        if (!r->calls[k]) continue;
        const Py_ssize_t *cm = slots_of(&cmd_slots, Py_TYPE(r->cmd[k]), cmd_slot_names, CM_N);
        PyObject *calls = PyLong_FromLongLong(r->calls[k]), *ns = PyLong_FromLongLong(r->ns[k]);
        int rc = calls == NULL || ns == NULL ? -1 : slot_add(r->cmd[k], cm[CM_calls], s_calls, calls);
        if (rc == 0) rc = slot_add(r->cmd[k], cm[CM_ns], s_ns, ns);
        Py_XDECREF(calls); Py_XDECREF(ns);
        r->calls[k] = r->ns[k] = 0;
        if (rc < 0) return -1;
    }
    if (r->hits && attr_add(ks, s_hits, r->hits) < 0) return -1;
    if (r->misses && attr_add(ks, s_misses, r->misses) < 0) return -1;
    if (r->dirty && attr_add(ks, s_dirty, r->dirty) < 0) return -1;
    r->hits = r->misses = r->dirty = 0;
    const Py_ssize_t *cm = slots_of(&cmd_slots, Py_TYPE(cmd), cmd_slot_names, CM_N);
    PyObject *v = get_slot(cmd, cm[CM_fullname], s_fullname);
    if (v == NULL) return -1;
    int rc = set_slot(c, cx[CX_last_command], s_last_command, v);
    Py_DECREF(v);
    if (rc < 0 || !(v = get_slot(cmd, cm[CM_readonly], s_readonly))) return -1;
    rc = cset(ks, s_read_cmd, v);
    Py_DECREF(v);
    if (rc < 0) return -1;
    if (r->out.len) {
        PyObject *data = buf_bytes(&r->out);
        Py_ssize_t n = r->out.len;
        r->out.len = 0;
        if (data == NULL) return -1;
        rc = PyList_CheckExact(out) ? PyList_Append(out, data) : call_method_discard(out, s_append, data, NULL, NULL);
        Py_DECREF(data);
        PyObject *delta = rc < 0 ? NULL : PyLong_FromSsize_t(n);
        rc = delta == NULL ? -1 : slot_add(c, cx[CX_out_bytes], s_out_bytes, delta);
        Py_XDECREF(delta);
    }
    return rc;
}

/* Check the preconditions every native command of the run needs (run_batch's own: no
 * special client, no monitors, no gate; plain_db; the reply encoder).
 * Sets r->env to 1 or -1; returns -1 on error. Those of writes wait for the run's first
 * write (run_writes). */
static int run_env(NativeRun *r, PyObject *engine, PyObject *c, const Py_ssize_t *cx,
                   PyObject *monitors, PyObject *prop, PyObject *stats) {
    int ok;
    r->env = -1;
    if ((ok = slot_true(c, cx[CX_special], s_special)) != 0) return ok < 0 ? -1 : 0;
    if ((ok = PyObject_IsTrue(monitors)) != 0) return ok < 0 ? -1 : 0;
    if ((ok = attr_true(engine, s_gated)) != 0) return ok < 0 ? -1 : 0;
    /* what run_batch does after each command must have nothing to do */
    if ((ok = attr_true(prop, s_pending)) != 0) return ok < 0 ? -1 : 0;
    PyObject *enc = get_slot(c, cx[CX_encode], s_encode);
    if (enc == NULL) return -1;
    if (Py_TYPE(enc) != &EncoderType) { Py_DECREF(enc); return 0; }
    Py_XSETREF(r->enc, (Encoder *)enc);
    PyObject *slow = cattr(stats, s_slow_ns);
    if (slow == NULL) return -1;
    int overflow = 0;
    r->slow_ns = PyLong_CheckExact(slow) ? PyLong_AsLongLongAndOverflow(slow, &overflow) : 0;
    Py_DECREF(slow);
    if (!overflow && r->slow_ns == -1 && PyErr_Occurred()) return -1;
    if (overflow > 0) r->slow_ns = LLONG_MAX;
    if ((ok = plain_db(c, cx[CX_db], &r->p)) <= 0) { plain_clear(&r->p); return ok; }
    if ((ok = attr_true(r->p.ks, s_ready_keys)) != 0) { plain_clear(&r->p); return ok < 0 ? -1 : 0; }
    r->env = 1;
    r->writes_known = r->writes = r->plain_writes = 0;
    r->prop = prop;
    return 0;
}

/* The preconditions of writes (plain_writes, then nothing propagated), checked at the first
 * write of a run: they hold or not for the whole run, as run_env's. Returns -1 on error. */
static int run_writes(NativeRun *r, PyObject *c, const Py_ssize_t *cx) {
    int ok;
    r->writes_known = 1;
    if ((ok = plain_writes(&r->p)) <= 0) return ok;
    r->plain_writes = 1;
    if ((ok = attr_true(r->prop, s_active)) != 0) return ok < 0 ? -1 : 0;
    if ((ok = slot_not_none(c, cx[CX_prop], s_prop)) != 0) return ok < 0 ? -1 : 0;
    r->writes = 1;
    return 0;
}

/* The native kind cmd runs as, and its arity and flags in r (kept for the run). */
static int run_kind(NativeRun *r, PyObject *cmd) {
    for (int k = 1; k < NATIVE_N; k++)
        if (r->cmd[k] == cmd) return k;
    const Py_ssize_t *cm = slots_of(&cmd_slots, Py_TYPE(cmd), cmd_slot_names, CM_N);
    PyObject *h = get_slot(cmd, cm[CM_handler], s_handler);
    if (h == NULL) return -1;
    int k = native_kind(h);
    Py_DECREF(h);
    if (k == NATIVE_NONE || r->cmd[k] != NULL) return NATIVE_NONE;   /* one Command per kind */
    int sub = slot_true(cmd, cm[CM_subcommands], s_subcommands);
    if (sub != 0) return sub < 0 ? -1 : NATIVE_NONE;
    PyObject *ar = get_slot(cmd, cm[CM_arity], s_arity);
    if (ar == NULL) return -1;
    long arity = PyLong_AsLong(ar);
    Py_DECREF(ar);
    if (arity == -1 && PyErr_Occurred()) return -1;
    int ro = slot_true(cmd, cm[CM_readonly], s_readonly);
    if (ro < 0) return -1;
    Py_INCREF(cmd);
    r->cmd[k] = cmd;
    r->arity[k] = arity;
    r->readonly[k] = ro;
    return k;
}

/* One request as a native command of the run: 1 (done: its reply is in r->out), 0 (not
 * native here: run_batch's path runs it), -1. t0: when the command started; *t1: when it
 * ended. A command past the SLOWLOG threshold is settled and logged here. */
static int run_one(NativeRun *r, int kind, PyObject *c, const Py_ssize_t *cx, PyObject *out,
                   PyObject *stats, PyObject *args, long long t0, long long *t1, int *per_call) {
    Py_ssize_t n = PyList_GET_SIZE(args);
    long arity = r->arity[kind];
    if (arity >= 0 ? n != arity : n < -arity) return 0;
    if (kind == NATIVE_SET && n != 3) return 0;
    int rc = plain_key(&r->p, PyList_GET_ITEM(args, 1));
    if (rc <= 0) return rc;
    if (kind != NATIVE_GET && !r->writes_known && run_writes(r, c, cx) < 0) return -1;
    if (kind != NATIVE_GET && !r->writes) {
        /* kept from writes by propagation alone: run_native runs it, run_batch propagates
         * the request (not SPOP: it propagates as SREM, nor XADD: with its ID, which only
         * their handlers say) */
        *per_call = r->plain_writes && kind != NATIVE_SPOP && kind != NATIVE_XADD;
        return 0;
    }
    *per_call = 0;
    PyObject *reply = NULL;
    int found = 0, changed = 0;
    rc = native_op(kind, c, &r->p, 1, args, &reply, &found, &changed);
    if (rc <= 0) {
        if (changed) {                  /* written, then failed: counted, as a handler's write */
            r->dirty += changed;
            r->pending = 1;
            r->last = kind;
        }
        return rc;
    }
    native_runs[kind]++;
    long long dt = (*t1 = now_ns()) - t0;
    r->pending = 1;
    r->last = kind;
    r->calls[kind]++;
    r->ns[kind] += dt;
    if (r->readonly[kind]) {        /* lookup counts hits and misses of read commands */
        if (found) r->hits++;
        else r->misses++;
    }
    r->dirty += changed;        /* MSET: one per key */
    rc = buf_value(&r->out, r->enc, reply);      /* c.encode's bytes (ours: no Python for these) */
    if (rc == 0 && dt >= r->slow_ns) {
        /* stats.slow_command(c, cmd, args, dt), after the command's accounting (as in call.py) */
        PyObject *cmd = r->cmd[kind], *pdt = NULL;
        Py_INCREF(cmd);
        rc = run_settle(r, c, cx, out);
        run_forget_env(r);
        if (rc == 0 && (pdt = PyLong_FromLongLong(dt)) != NULL) {
            PyObject *sargv[5] = {stats, c, cmd, args, pdt};
            PyObject *sr = PyObject_VectorcallMethod(s_slow_command, sargv, 5 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
            rc = sr == NULL ? -1 : 0;
            Py_XDECREF(sr);
        } else {
            rc = -1;
        }
        Py_XDECREF(pdt);
        Py_DECREF(cmd);
    }
    Py_DECREF(reply);
    return rc < 0 ? -1 : 1;
}

/* c.out_bytes + extra > OUT_CHUNK: 1, 0 or -1 */
static int out_over(PyObject *c, Py_ssize_t off, long long extra) {
    PyObject *ob = get_slot(c, off, s_out_bytes);
    if (ob == NULL) return -1;
    int stop;
    if (PyLong_CheckExact(ob)) {      /* the usual int: compared without a new one */
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(ob, &overflow);
        stop = overflow > 0 || (!overflow && v > out_chunk - extra);
    } else {
        PyObject *lim = PyLong_FromLongLong(out_chunk - extra);
        stop = lim == NULL ? -1 : PyObject_RichCompareBool(ob, lim, Py_GT);
        Py_XDECREF(lim);
    }
    Py_DECREF(ob);
    return stop;
}

/* Warming a batch's key lookups. perf put a quarter of a GET's time at -P 16 in the keyspace
 * dict's lookup, waiting on cache misses one after the other: the index slot, the entry, the
 * key object (a dict of str keys keeps no hash in its entries), then the value. A batch's
 * requests are all parsed before the first runs, so the misses of its keys can overlap: each
 * stage below takes one step of every key's first probe, the next stage the step after.
 * This reads CPython's private dict layout (pycore_dict.h, the same from 3.11 to 3.13);
 * dict_layout_check() tries it on real dicts at import and without its yes nothing is
 * warmed. Only loads inside the dict's own table, and prefetches: every lookup is still
 * the dict's own, so a stale or wrong guess costs time, never a result. */
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000 && !defined(Py_GIL_DISABLED)
#define HAVE_DICT_LAYOUT 1
typedef struct {
    Py_ssize_t dk_refcnt;
    uint8_t dk_log2_size;
    uint8_t dk_log2_index_bytes;
    uint8_t dk_kind;                /* 0: general entries (hash, key, value); else (key, value) */
    uint32_t dk_version;
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];              /* then the entries */
} KeysLayout;
#endif
static int dict_layout_ok;          /* dict_layout_check() said yes */

#ifdef HAVE_DICT_LAYOUT
/* d's table if it looks as the layout says (combined, sizes that fit its length), else NULL */
static KeysLayout *dict_table(PyObject *d) {
    PyDictObject *o = (PyDictObject *)d;
    if (o->ma_values != NULL) return NULL;
    KeysLayout *k = (KeysLayout *)o->ma_keys;
    int w = k->dk_log2_index_bytes - k->dk_log2_size;
    if (k->dk_log2_size < 3 || k->dk_log2_size > 40 || w < 0 || w > 3
        || k->dk_nentries < o->ma_used || k->dk_nentries > ((Py_ssize_t)1 << k->dk_log2_size))
        return NULL;
    return k;
}

static inline char *table_slot(KeysLayout *k, Py_hash_t h) {
    size_t i = (size_t)h & (((size_t)1 << k->dk_log2_size) - 1);
    return k->dk_indices + (i << (k->dk_log2_index_bytes - k->dk_log2_size));
}

/* the entry index in the slot (negative: empty or deleted) */
static inline Py_ssize_t table_ix(KeysLayout *k, const char *slot) {
    switch (k->dk_log2_index_bytes - k->dk_log2_size) {
    case 0: return *(const int8_t *)slot;
    case 1: return *(const int16_t *)slot;
    case 2: return *(const int32_t *)slot;
    default: return *(const int64_t *)slot;
    }
}

/* the entry's (key, value) pointers */
static inline PyObject **table_entry(KeysLayout *k, Py_ssize_t ix) {
    PyObject **e = (PyObject **)(k->dk_indices + ((size_t)1 << k->dk_log2_index_bytes));
    return k->dk_kind == 0 ? e + 3 * ix + 1 : e + 2 * ix;
}

/* an object's first two cache lines (pymalloc's blocks are not line-aligned) */
static inline void warm_object(PyObject *o) {
    PREFETCH(o);
    PREFETCH((char *)o + 48);
}

#define WARM_MAX 64

/* One lookup being warmed: in a dict (k set: its index slot, then its entry) or in a set
 * (k NULL: its first table entry). */
typedef struct {
    KeysLayout *k;
    void *at;               /* the index slot, or the set's entry */
    PyObject **entry;       /* the dict entry's (key, value), once its index is read */
} Probe;

/* Start warming the lookup of key in o (an exact dict or set); 1 if started. */
static int probe_start(Probe *p, PyObject *o, PyObject *key) {
    Py_hash_t h = PyObject_Hash(key);           /* a str's: cached for the lookup itself */
    if (h == -1) { PyErr_Clear(); return 0; }
    p->entry = NULL;
    if (PyDict_CheckExact(o)) {
        if ((p->k = dict_table(o)) == NULL) return 0;
        PREFETCH(p->at = table_slot(p->k, h));
    } else {
        PySetObject *so = (PySetObject *)o;
        p->k = NULL;
        PREFETCH(p->at = &so->table[(size_t)h & (size_t)so->mask]);
    }
    return 1;
}

/* The next two steps of n started probes: every entry, then every key and value object. */
static void probes_finish(Probe *p, int n) {
    for (int j = 0; j < n; j++) {
        if (p[j].k == NULL) continue;
        Py_ssize_t ix = table_ix(p[j].k, p[j].at);
        if (ix >= 0 && ix < p[j].k->dk_nentries) PREFETCH(p[j].entry = table_entry(p[j].k, ix));
    }
    for (int j = 0; j < n; j++) {
        PyObject *key, *value = NULL;
        if (p[j].k == NULL) key = ((setentry *)p[j].at)->key;
        else if (p[j].entry != NULL) key = p[j].entry[0], value = p[j].entry[1];
        else continue;
        if (key != NULL) warm_object(key);
        if (value != NULL) warm_object(value);
    }
}

/* Warm the lookups of reqs[from:] (up to WARM_MAX): args[1] in data, then, where that key's
 * first probe found a big hash, set or sorted set, args[2] (and a sorted set's args[3]) in
 * its dict or set: HSET's field, SADD's member, ZADD's member, HGET's and SISMEMBER's. */
static void warm_lookups(PyObject *data, PyObject *reqs, Py_ssize_t from) {
    Py_ssize_t n = PyList_GET_SIZE(reqs);
    if (!dict_layout_ok || n - from < 2 || !PyDict_CheckExact(data)) return;
    Probe keys[WARM_MAX], members[WARM_MAX];
    PyObject *of[WARM_MAX];            /* the request of each key probe */
    int m = 0;
    for (Py_ssize_t i = from; i < n && m < WARM_MAX; i++) {
        PyObject *a = PyList_GET_ITEM(reqs, i), *key;
        if (!PyList_CheckExact(a) || PyList_GET_SIZE(a) < 2 || !PyUnicode_CheckExact(key = PyList_GET_ITEM(a, 1)))
            continue;
        if (probe_start(&keys[m], data, key)) of[m++] = a;
    }
    probes_finish(keys, m);
    int e = 0;
    for (int j = 0; j < m && e < WARM_MAX - 1; j++) {
        Py_ssize_t na = PyList_GET_SIZE(of[j]);
        if (na < 3 || keys[j].entry == NULL || keys[j].entry[1] == NULL) continue;
        PyObject *v = keys[j].entry[1], *in = NULL;     /* (alive: data holds it) */
        if (PyDict_CheckExact(v) || PyAnySet_CheckExact(v)) in = v;
        else if (ZSet_type != NULL && Py_TYPE(v) == (PyTypeObject *)ZSet_type) {
            in = cattr(v, s_big_scores);                /* a new reference, or NULL */
            if (in == NULL) { PyErr_Clear(); continue; }
            Py_DECREF(in);                              /* the zset still holds it */
            if (!PyDict_CheckExact(in)) continue;
        } else {
            continue;
        }
        for (Py_ssize_t i = 2; i < (in == v ? 3 : 4) && i < na; i++) {
            PyObject *member = PyList_GET_ITEM(of[j], i);
            if (PyUnicode_CheckExact(member) && probe_start(&members[e], in, member)) e++;
        }
    }
    probes_finish(members, e);
}

/* Whether the layout finds every key of real dicts where the dicts have them, following
 * CPython's probe sequence: str keys (1- and 2-byte indices) and general ones. (Not a table
 * with 4-byte indices: its megabyte, freed at import, raised glibc's mmap threshold for the
 * process and a 100k-key fill then took 13 more bytes a key; the index width comes from
 * dk_log2_index_bytes, checked here.) */
static int dict_layout_check(void) {
    static const Py_ssize_t sizes[] = {5, 200, 300};
    int good = 1;
    for (int t = 0; good > 0 && t < 3; t++) {
        Py_ssize_t size = sizes[t];
        PyObject *d = PyDict_New(), *keys = PyList_New(0);
        if (d == NULL || keys == NULL) { Py_XDECREF(d); Py_XDECREF(keys); return -1; }
        for (Py_ssize_t i = 0; good > 0 && i < size; i++) {
            PyObject *key = t < 2 ? PyUnicode_FromFormat("key:%zd", i) : PyLong_FromSsize_t(i * 7919);
            if (key == NULL || PyDict_SetItem(d, key, Py_None) < 0 || PyList_Append(keys, key) < 0) good = -1;
            Py_XDECREF(key);
        }
        KeysLayout *k = good > 0 ? dict_table(d) : NULL;
        if (good > 0 && (k == NULL || (t < 2) != (k->dk_kind != 0))) good = 0;
        size_t mask = k == NULL ? 0 : ((size_t)1 << k->dk_log2_size) - 1;
        for (Py_ssize_t i = 0; good > 0 && i < size; i++) {
            PyObject *key = PyList_GET_ITEM(keys, i);
            Py_hash_t h = PyObject_Hash(key);
            if (h == -1) { good = -1; break; }
            size_t perturb = (size_t)h, at = (size_t)h & mask;
            for (size_t step = 0;; step++) {        /* lookdict's open addressing */
                Py_ssize_t ix = table_ix(k, table_slot(k, (Py_hash_t)at));
                if (ix >= k->dk_nentries || ix == -1 || step > mask) { good = 0; break; }
                if (ix >= 0 && table_entry(k, ix)[0] == key) {
                    if (table_entry(k, ix)[1] != Py_None) good = 0;
                    break;
                }
                perturb >>= 5;
                at = (at * 5 + perturb + 1) & mask;
            }
        }
        Py_DECREF(d);
        Py_DECREF(keys);
    }
    return good;
}
#else
static void warm_lookups(PyObject *data, PyObject *reqs, Py_ssize_t from) {}
static int dict_layout_check(void) { return 0; }
#endif

/* dict_warming(on) -> whether the warming of batches' key lookups is on: turned on only
 * where the layout check passed (benchmarks and tests compare it on and off) */
static PyObject *set_dict_warming(PyObject *module, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    dict_layout_ok = on && dict_layout_check() > 0;
    if (PyErr_Occurred()) return NULL;
    return PyBool_FromLong(dict_layout_ok);
}

/* engine.run_batch(c, reqs) as in engine/call.py (comments there) */
static PyObject *run_batch(PyObject *module, PyObject *const *argv, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "run_batch(engine, c, reqs)");
        return NULL;
    }
    if (RedisError_cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_speedups.configure() was not called");
        return NULL;
    }
    PyObject *self = argv[0], *c = argv[1], *reqs = argv[2];
    PyObject *out = NULL, *table = NULL, *by_name = NULL, *ks = NULL, *prop = NULL, *stats = NULL,
             *monitors = NULL, *iter = NULL, *args = NULL, *cmd = NULL, *reply = NULL, *dirty = NULL,
             *result = NULL;
    long long done = 0;

    NativeRun run;
    run_init(&run);
    char skip[NATIVE_N] = {0};          /* kinds left to their handler for the rest of the batch */
    Py_ssize_t cx[CX_N], cm[CM_N];      /* copies: a nested call may recompute the caches */
    memcpy(cx, slots_of(&ctx_slots, Py_TYPE(c), ctx_slot_names, CX_N), sizeof(cx));
    if (!(out = get_slot(c, cx[CX_out], s_out))) goto fail;
    if (!(table = cattr(self, s_table))) goto fail;
    if (!(by_name = cattr(table, s_by_name))) goto fail;
    if (!(ks = cattr(self, s_ks))) goto fail;
    if (!(prop = cattr(self, s_propagation))) goto fail;
    if (!(stats = cattr(self, s_stats))) goto fail;
    if (!(monitors = cattr(self, s_monitors))) goto fail;

    int reqs_list = PyList_CheckExact(reqs);
    if (!reqs_list && !(iter = PyObject_GetIter(reqs))) goto fail;
    long long t0 = now_ns();
    for (Py_ssize_t i = 0;; i++) {
        if (reqs_list) {                 /* the list iterator's own rule: re-read the size */
            if (i >= PyList_GET_SIZE(reqs)) break;
            args = PyList_GET_ITEM(reqs, i);
            Py_INCREF(args);
        } else {
            args = PyIter_Next(iter);
            if (args == NULL) {
                if (PyErr_Occurred()) goto fail;
                break;
            }
        }
        done++;
        /* cmd = by_name.get(args[0]) */
        PyObject *name;
        if (PyList_CheckExact(args) && PyList_GET_SIZE(args) > 0) {
            name = PyList_GET_ITEM(args, 0);
            Py_INCREF(name);
        } else {
            PyObject *zero = PyLong_FromLong(0);
            if (zero == NULL) goto fail;
            name = PyObject_GetItem(args, zero);
            Py_DECREF(zero);
            if (name == NULL) goto fail;
        }
        if (PyDict_CheckExact(by_name)) {
            cmd = PyDict_GetItemWithError(by_name, name);
            Py_XINCREF(cmd);
            if (cmd == NULL && PyErr_Occurred()) { Py_DECREF(name); goto fail; }
        } else {
            cmd = call_method(by_name, s_get, name, NULL, NULL);
            if (cmd == NULL) { Py_DECREF(name); goto fail; }
            if (cmd == Py_None) Py_CLEAR(cmd);
        }
        Py_DECREF(name);

        /* a native command of the run (above), while its preconditions hold */
        int per_call = 1;       /* run_native may still run it on run_batch's path below */
        if (cmd != NULL && PyList_CheckExact(args) && PyList_GET_SIZE(args) >= 2) {
            int kind = run_kind(&run, cmd);
            if (kind < 0) goto fail;
            if (kind != NATIVE_NONE && !skip[kind] && run.env == 0) {
                if (run_env(&run, self, c, cx, monitors, prop, stats) < 0) goto fail;
                if (run.env > 0 && reqs_list) warm_lookups(run.p.data, reqs, i);
            }
            if (kind != NATIVE_NONE && (run.env < 0 || skip[kind])) {
                per_call = 0;   /* its checks would fail as the run's did */
                native_fallbacks[kind]++;
            } else if (kind != NATIVE_NONE) {
                long long t1;
                int rc = run_one(&run, kind, c, cx, out, stats, args, t0, &t1, &per_call);
                if (rc < 0) goto fail;
                if (rc == 0 && !per_call) {
                    /* a value it leaves to the handler: not tried again in this batch; but
                     * SPOP's usual reason, a set without a Pool yet, is over once the
                     * handler made one, and XADD's, a full node or a new stream, once the
                     * handler started the next */
                    skip[kind] = kind != NATIVE_SPOP && kind != NATIVE_XADD;
                    native_fallbacks[kind]++;
                }
                if (rc > 0) {
                    t0 = t1;
                    Py_CLEAR(cmd);
                    Py_CLEAR(args);
                    int stop = out_over(c, cx[CX_out_bytes], run.out.len);   /* natives never block or close */
                    if (stop < 0) goto fail;
                    if (stop) break;
                    continue;
                }
            }
        }
        /* run_batch's own path: the run's effects are written back first */
        if (run_settle(&run, c, cx, out) < 0) goto fail;
        int py = 1;         /* Python code runs for this request (the run's checks are void) */

        int full = cmd == NULL;
        if (!full)
            memcpy(cm, slots_of(&cmd_slots, Py_TYPE(cmd), cmd_slot_names, CM_N), sizeof(cm));
        if (!full && (full = slot_true(cmd, cm[CM_subcommands], s_subcommands)) < 0) goto fail;
        if (!full && (full = slot_true(c, cx[CX_special], s_special)) < 0) goto fail;
        if (!full && (full = PyObject_IsTrue(monitors)) < 0) goto fail;
        if (!full && (full = attr_true(self, s_gated)) < 0) goto fail;
        if (full) {
            reply = call_method(self, s_process, c, args, cmd != NULL ? cmd : Py_None);
            if (reply == NULL) goto fail;
            t0 = now_ns();
        } else {
            Py_ssize_t n = PyObject_Length(args);
            if (n < 0) goto fail;
            PyObject *ar = get_slot(cmd, cm[CM_arity], s_arity);
            if (ar == NULL) goto fail;
            long arity = PyLong_AsLong(ar);
            Py_DECREF(ar);
            if (arity == -1 && PyErr_Occurred()) goto fail;
            if (arity >= 0 ? n != arity : n < -arity) {
                PyObject *fullname = get_slot(cmd, cm[CM_fullname], s_fullname);
                if (fullname == NULL) goto fail;
                PyObject *err = PyObject_CallOneArg(arity_error_fn, fullname);
                Py_DECREF(fullname);
                if (err == NULL) goto fail;
                reply = call_method(self, s_reject, c, cmd, err);
                Py_DECREF(err);
                if (reply == NULL) goto fail;
            } else {
                PyObject *v = get_slot(cmd, cm[CM_fullname], s_fullname);
                if (v == NULL) goto fail;
                int r = set_slot(c, cx[CX_last_command], s_last_command, v);
                Py_DECREF(v);
                if (r < 0) goto fail;
                if (!(dirty = cattr(ks, s_dirty))) goto fail;
                if (!(v = get_slot(cmd, cm[CM_readonly], s_readonly))) goto fail;
                r = cset(ks, s_read_cmd, v);
                Py_DECREF(v);
                if (r < 0) goto fail;
                PyObject *handler = get_slot(cmd, cm[CM_handler], s_handler);
                if (handler == NULL) goto fail;
                int kind = native_kind(handler);
                reply = NULL;
                if (kind != NATIVE_NONE && (!per_call || run_native(kind, c, cx[CX_db], args, &reply) == NATIVE_FALLBACK))
                    kind = NATIVE_NONE;             /* NULL reply with an error: as the handler's */
                py = kind == NATIVE_NONE;
                if (kind == NATIVE_NONE) {
                    PyObject *hargs[2] = {c, args};
                    reply = PyObject_Vectorcall(handler, hargs, 2, NULL);
                }
                Py_DECREF(handler);
                if (reply == NULL && !(reply = handler_error(self, cmd, cm[CM_failed_calls], stats))) goto fail;
                long long t1 = now_ns();
                if (Py_TYPE(reply) == (PyTypeObject *)BlockOn_cls) {
                    PyObject *blocking = cattr(self, s_blocking);
                    if (blocking == NULL) goto fail;
                    r = call_method_discard(blocking, s_park, c, args, reply);
                    Py_DECREF(blocking);
                    if (r < 0) goto fail;
                    Py_INCREF(empty_bytes);
                    Py_SETREF(reply, empty_bytes);
                } else {
                    long long dt_ = t1 - t0;
                    PyObject *dt = PyLong_FromLongLong(dt_);
                    if (dt == NULL) goto fail;
                    if (slot_add(cmd, cm[CM_calls], s_calls, one) < 0 || slot_add(cmd, cm[CM_ns], s_ns, dt) < 0) { Py_DECREF(dt); goto fail; }
                    PyObject *slow = cattr(stats, s_slow_ns);
                    if (slow == NULL) { Py_DECREF(dt); goto fail; }
                    r = PyObject_RichCompareBool(dt, slow, Py_GE);
                    Py_DECREF(slow);
                    if (r > 0) {     /* stats.slow_command(c, cmd, args, dt) */
                        py = 1;
                        PyObject *sargv[5] = {stats, c, cmd, args, dt};
                        PyObject *sr = PyObject_VectorcallMethod(
                            s_slow_command, sargv, 5 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
                        r = sr == NULL ? -1 : 0;
                        Py_XDECREF(sr);
                    }
                    Py_DECREF(dt);
                    if (r < 0) goto fail;
                    /* propagation */
                    PyObject *now_dirty = cattr(ks, s_dirty);
                    if (now_dirty == NULL) goto fail;
                    int changed = PyObject_RichCompareBool(now_dirty, dirty, Py_NE);
                    Py_DECREF(now_dirty);
                    if (changed < 0) goto fail;
                    int has_prop = 0;
                    if (!changed && (has_prop = slot_not_none(c, cx[CX_prop], s_prop)) < 0) goto fail;
                    if (changed || has_prop) {
                        int cprop_none = !(r = slot_not_none(c, cx[CX_prop], s_prop));
                        if (r < 0) goto fail;
                        int pending = 0;
                        if (cprop_none && (pending = attr_true(prop, s_pending)) < 0) goto fail;
                        if (cprop_none && !pending) {
                            int active = attr_true(prop, s_active);
                            if (active < 0) goto fail;
                            if (active) {   /* prop.unit([(c.db.index, args)]) */
                                PyObject *db = get_slot(c, cx[CX_db], s_db);
                                if (db == NULL) goto fail;
                                PyObject *index = cattr(db, s_index);
                                Py_DECREF(db);
                                if (index == NULL) goto fail;
                                PyObject *rec = PyTuple_Pack(2, index, args);
                                Py_DECREF(index);
                                if (rec == NULL) goto fail;
                                PyObject *ops = PyList_New(1);
                                if (ops == NULL) { Py_DECREF(rec); goto fail; }
                                PyList_SET_ITEM(ops, 0, rec);
                                PyObject *unit = cattr(prop, s_unit);
                                if (unit == NULL) { Py_DECREF(ops); goto fail; }
                                PyObject *ur = PyObject_CallOneArg(unit, ops);
                                Py_DECREF(unit);
                                Py_DECREF(ops);
                                if (ur == NULL) goto fail;
                                Py_DECREF(ur);
                            }
                        } else {
                            if (!(now_dirty = cattr(ks, s_dirty))) goto fail;
                            int ch = PyObject_RichCompareBool(now_dirty, dirty, Py_NE);
                            Py_DECREF(now_dirty);
                            if (ch < 0) goto fail;
                            py = 1;
                            if (call_method_discard(self, s__record, c, args, ch ? Py_True : Py_False) < 0) goto fail;
                        }
                    }
                    int pending = attr_true(prop, s_pending);
                    if (pending < 0) goto fail;
                    if (pending && call_method_discard(prop, s_flush, NULL, NULL, NULL) < 0) goto fail;
                    int ready = attr_true(ks, s_ready_keys);
                    if (ready < 0) goto fail;
                    if (ready) {
                        py = 1;
                        PyObject *blocking = cattr(self, s_blocking);
                        if (blocking == NULL) goto fail;
                        r = call_method_discard(blocking, s_serve, NULL, NULL, NULL);
                        Py_DECREF(blocking);
                        if (r < 0) goto fail;
                    }
                    PyTypeObject *cls = Py_TYPE(reply);
                    PyObject *enc = NULL;
                    if (cls == &PyUnicode_Type) {
                        enc = bulk_bytes(reply);
                        if (enc == NULL) goto fail;
                    } else if (cls == &PyLong_Type) {
                        enc = int_bytes(reply);
                        if (enc == NULL) goto fail;
                    } else if (cls != &PyBytes_Type) {
                        py |= reply != Py_None;      /* None: our Encoder's, in C */
                        enc = encode_with(c, cx[CX_encode], reply);
                        if (enc == NULL) goto fail;
                    }
                    if (enc != NULL) Py_SETREF(reply, enc);
                }
                Py_CLEAR(dirty);
                t0 = t1;
            }
        }
        /* if reply: out.append(reply); c.out_bytes += len(reply) */
        int nonempty = PyBytes_CheckExact(reply) ? PyBytes_GET_SIZE(reply) > 0 : PyObject_IsTrue(reply);
        if (nonempty < 0) goto fail;
        if (nonempty) {
            if (PyList_CheckExact(out)) {
                if (PyList_Append(out, reply) < 0) goto fail;
            } else if (call_method_discard(out, s_append, reply, NULL, NULL) < 0) {
                goto fail;
            }
            Py_ssize_t len = PyObject_Length(reply);
            if (len < 0) goto fail;
            PyObject *delta = PyLong_FromSsize_t(len);
            if (delta == NULL) goto fail;
            int r = slot_add(c, cx[CX_out_bytes], s_out_bytes, delta);
            Py_DECREF(delta);
            if (r < 0) goto fail;
        }
        Py_CLEAR(reply);
        Py_CLEAR(cmd);
        Py_CLEAR(args);
        if (py) run_forget_env(&run);
        /* if c.block is not None or c.closing or c.out_bytes > OUT_CHUNK: break */
        int stop = slot_not_none(c, cx[CX_block], s_block);
        if (stop < 0) goto fail;
        if (!stop && (stop = slot_true(c, cx[CX_closing], s_closing)) < 0) goto fail;
        if (!stop && (stop = out_over(c, cx[CX_out_bytes], 0)) < 0) goto fail;
        if (stop) break;
    }
    if (run_settle(&run, c, cx, out) == 0) result = PyLong_FromLongLong(done);
fail:
    if (result == NULL && run.pending) {    /* an error propagates: the run's effects still count */
        PyObject *et, *ev, *etb;
        PyErr_Fetch(&et, &ev, &etb);
        if (run_settle(&run, c, cx, out) < 0) PyErr_Clear();
        PyErr_Restore(et, ev, etb);
    }
    run_free(&run);
    Py_XDECREF(out); Py_XDECREF(table); Py_XDECREF(by_name); Py_XDECREF(ks); Py_XDECREF(prop);
    Py_XDECREF(stats); Py_XDECREF(monitors); Py_XDECREF(iter); Py_XDECREF(args); Py_XDECREF(cmd);
    Py_XDECREF(reply); Py_XDECREF(dirty);
    return result;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *err, *block_on, *arity;
    long long chunk;
    if (!PyArg_ParseTuple(args, "OOOL:configure", &err, &block_on, &arity, &chunk)) return NULL;
    if (!PyType_Check(err) || !PyType_Check(block_on)) {
        PyErr_SetString(PyExc_TypeError, "configure(RedisError, BlockOn, arity_error, OUT_CHUNK)");
        return NULL;
    }
    Py_INCREF(err); Py_XSETREF(RedisError_cls, err);
    Py_INCREF(block_on); Py_XSETREF(BlockOn_cls, block_on);
    Py_INCREF(arity); Py_XSETREF(arity_error_fn, arity);
    out_chunk = chunk;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ split_canonical */

/* Canonical digits at s[p..] (no sign, no leading zero, "0" alone; at most maxdigits)
 * followed by CRLF: the value in *v and the offset after the CRLF, or -1. */
static inline Py_ssize_t canon_number(const char *s, Py_ssize_t p, Py_ssize_t n, int maxdigits,
                                      long long *v) {
    Py_ssize_t q = p;
    long long x = 0;
    while (q < n && q - p < maxdigits && s[q] >= '0' && s[q] <= '9')
        x = x * 10 + (s[q++] - '0');
    if (q == p || (s[p] == '0' && q - p > 1)) return -1;
    if (n - q < 2 || s[q] != '\r' || s[q + 1] != '\n') return -1;
    *v = x;
    return q + 2;
}

/* a CRLF inside the payload: reader._by_split's CRLF tokens misalign there, so it stops */
static inline int has_crlf(const char *s, Py_ssize_t len) {
    if (len < 2) return 0;
    const char *p = s, *end = s + len - 1;      /* a CR as last byte is followed by "\r\n" */
    while (p < end && (p = memchr(p, '\r', end - p)) != NULL) {
        if (p[1] == '\n') return 1;
        p++;
    }
    return 0;
}

/* The end of the canonical, complete request at s[pos..] (its count in *argc), or -1.
 * Headers and lengths only: nothing is decoded for a request that is not all there. */
static Py_ssize_t canon_request(const char *s, Py_ssize_t pos, Py_ssize_t n, long long *argc) {
    long long c, len;
    if (pos >= n || s[pos] != '*') return -1;
    Py_ssize_t p = canon_number(s, pos + 1, n, 4, &c);
    if (p < 0 || c < 1 || c > 1023) return -1;
    for (long long k = 0; k < c; k++) {
        if (p >= n || s[p] != '$') return -1;
        p = canon_number(s, p + 1, n, 18, &len);
        if (p < 0 || len > n - p - 2) return -1;
        p += len;
        if (s[p] != '\r' || s[p + 1] != '\n') return -1;
        p += 2;
    }
    *argc = c;
    return p;
}

/* Command names repeat request after request: the first argument, when short, comes from a
 * small cache of str objects (equal strs, one of them shared: its hash is kept), sparing a
 * decode, a hash and a free per request. Indexed by length and first and last bytes. */
#define NAME_CACHE 256
#define NAME_MAX_LEN 24
static PyObject *name_cache[NAME_CACHE];

static PyObject *decode_arg(const char *p, long long len, int first) {
    if (!first || len < 1 || len > NAME_MAX_LEN)
        return PyUnicode_DecodeUTF8(p, len, "surrogateescape");
    unsigned h = ((unsigned)len * 31u + (unsigned char)p[0] * 7u + (unsigned char)p[len - 1]) % NAME_CACHE;
    PyObject *s = name_cache[h];
    if (s != NULL && PyUnicode_GET_LENGTH(s) == len && memcmp(PyUnicode_DATA(s), p, len) == 0) {
        Py_INCREF(s);
        return s;
    }
    for (long long i = 0; i < len; i++)
        if ((unsigned char)p[i] >= 0x80) return PyUnicode_DecodeUTF8(p, len, "surrogateescape");
    s = PyUnicode_DecodeUTF8(p, len, "surrogateescape");      /* ASCII: one byte per char */
    if (s == NULL) return NULL;
    Py_INCREF(s);
    Py_XSETREF(name_cache[h], s);
    return s;
}

/* The canonical requests of s[pos..n] appended to out, up to the first other one: the
 * offset reached, or -1 on error. */
static Py_ssize_t split_into(const char *s, Py_ssize_t pos, Py_ssize_t n, PyObject *out) {
    for (;;) {
        long long c;
        Py_ssize_t end = canon_request(s, pos, n, &c);
        if (end < 0) return pos;
        PyObject *req = PyList_New((Py_ssize_t)c);
        if (req == NULL) return -1;
        long long k, len = 0;
        Py_ssize_t p = canon_number(s, pos + 1, n, 4, &len);     /* checked: the first '$' */
        for (k = 0; k < c; k++) {
            p = canon_number(s, p + 1, n, 18, &len);
            if (has_crlf(s + p, len)) break;
            PyObject *a = decode_arg(s + p, len, k == 0);
            if (a == NULL) { Py_DECREF(req); return -1; }
            PyList_SET_ITEM(req, k, a);
            p += len + 2;
        }
        if (k < c) { Py_DECREF(req); return pos; }     /* unset slots are NULL: dealloc skips them */
        int r = PyList_Append(out, req);
        Py_DECREF(req);
        if (r < 0) return -1;
        pos = end;
    }
}

/* split_canonical(chunk, out[, start]) -> bytes taken from start: protocol/reader.py
 * _by_split(chunk[start:], out) (without ends), request for request, without the copy. */
static PyObject *split_canonical(PyObject *module, PyObject *const *argv, Py_ssize_t nargs) {
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "split_canonical(chunk, out[, start])");
        return NULL;
    }
    PyObject *out = argv[1];
    if (!PyList_Check(out)) {
        PyErr_SetString(PyExc_TypeError, "split_canonical: out must be a list");
        return NULL;
    }
    Py_ssize_t start = 0;
    if (nargs == 3) {
        start = PyLong_AsSsize_t(argv[2]);
        if (start == -1 && PyErr_Occurred()) return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(argv[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    const char *s = (const char *)view.buf;
    Py_ssize_t n = view.len, pos = start;
    if (start < 0 || start > n) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "split_canonical: start out of range");
        return NULL;
    }
    Py_ssize_t end = split_into(s, pos, n, out);
    PyBuffer_Release(&view);
    return end < 0 ? NULL : PyLong_FromSsize_t(end - start);
}

/* ------------------------------------------------------------------ data_received */

#define READER_SLOTS(X) X(_buf) X(_left) X(error) X(max_bulk) X(unauth) X(more)
#define ENUM_READER(n) RD_##n,
enum { READER_SLOTS(ENUM_READER) RD_N };
static Slots reader_slots;
static PyObject **reader_slot_names[RD_N];

/* net/connection.py Connection.flush(), for the usual case: no AOF gate holds replies */
static int conn_flush(PyObject *conn, PyObject *ctx, const Py_ssize_t *cx, PyObject *net) {
    PyObject *out = get_slot(ctx, cx[CX_out], s_out);
    if (out == NULL) return -1;
    int rc = 0;
    if (!PyList_CheckExact(out)) {
        rc = call_method_discard(conn, s_flush, NULL, NULL, NULL);
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(out);
    if (n == 0) goto done;
    PyObject *gate = cattr(net, s_aof_gate);
    if (gate == NULL) { rc = -1; goto done; }
    int gated = gate != Py_None;
    Py_DECREF(gate);
    if (gated) {
        rc = call_method_discard(conn, s_flush, NULL, NULL, NULL);
        goto done;
    }
    PyObject *data;
    if (n == 1) {
        data = PyList_GET_ITEM(out, 0);
        Py_INCREF(data);
    } else {
        data = PyObject_CallMethodOneArg(empty_bytes, s_join, out);
    }
    if (data == NULL) { rc = -1; goto done; }
    Py_ssize_t len = PyObject_Length(data);
    PyObject *zero = PyLong_FromLong(0), *transport = NULL, *stats = NULL;
    rc = len < 0 || zero == NULL ? -1 : PyList_SetSlice(out, 0, PyList_GET_SIZE(out), NULL);
    if (rc == 0) rc = set_slot(ctx, cx[CX_out_bytes], s_out_bytes, zero);
    if (rc == 0 && !(transport = cattr(conn, s_transport))) rc = -1;
    if (rc == 0) rc = call_method_discard(transport, s_write, data, NULL, NULL);
    if (rc == 0 && !(stats = cattr(net, s_stats))) rc = -1;
    if (rc == 0) rc = attr_add(stats, s_net_output, len);
    Py_XDECREF(zero); Py_XDECREF(transport); Py_XDECREF(stats);
    Py_DECREF(data);
    if (rc == 0) {
        int paused = attr_true(conn, s_writing_paused);
        rc = paused < 0 ? -1 : paused ? call_method_discard(conn, s_check_output_limit, NULL, NULL, NULL) : 0;
    }
done:
    Py_DECREF(out);
    return rc;
}

/* The client may take the short way: not closing, authenticated, nothing pending or blocked,
 * its reader between requests with nothing buffered; data within proto-max-bulk-len.
 * 1, 0 or -1. */
static int conn_plain(PyObject *ctx, const Py_ssize_t *cx, PyObject *reader, const Py_ssize_t *rd,
                      Py_ssize_t len) {
    int r;
    if ((r = slot_true(ctx, cx[CX_closing], s_closing)) != 0) return r < 0 ? -1 : 0;
    if ((r = slot_true(ctx, cx[CX_authenticated], s_authenticated)) != 1) return r;
    if ((r = slot_true(ctx, cx[CX_pending], s_pending)) != 0) return r < 0 ? -1 : 0;
    if ((r = slot_not_none(ctx, cx[CX_block], s_block)) != 0) return r < 0 ? -1 : 0;
    if ((r = slot_true(reader, rd[RD__buf], s__buf)) != 0) return r < 0 ? -1 : 0;
    if ((r = slot_true(reader, rd[RD__left], s__left)) != 0) return r < 0 ? -1 : 0;
    if ((r = slot_not_none(reader, rd[RD_error], s_error)) != 0) return r < 0 ? -1 : 0;
    PyObject *mb = get_slot(reader, rd[RD_max_bulk], s_max_bulk);
    if (mb == NULL) return -1;
    int overflow = 0;
    long long max_bulk = PyLong_Check(mb) ? PyLong_AsLongLongAndOverflow(mb, &overflow) : -1;
    Py_DECREF(mb);
    if (max_bulk == -1 && PyErr_Occurred()) return -1;
    return overflow > 0 || (!overflow && len <= max_bulk);
}

/* data_received(conn, data): net/connection.py Connection.data_received for a read of whole
 * canonical requests by a plain client (conn_plain): what reader.feed would return is split
 * here, run by run_batch and flushed once; anything else, and whatever follows a batch that
 * stopped short, is the Python method's (run_rest). */
static PyObject *conn_data_received(PyObject *module, PyObject *const *argv, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "data_received(conn, data)");
        return NULL;
    }
    PyObject *conn = argv[0], *data = argv[1];
    PyObject *ctx = NULL, *reader = NULL, *net = NULL, *reqs = NULL, *engine = NULL, *result = NULL;
    if (!PyBytes_CheckExact(data)) goto python;
    if (!(ctx = cattr(conn, s_ctx)) || !(reader = cattr(conn, s_reader))) goto fail;
    Py_ssize_t cx[CX_N], rd[RD_N];
    memcpy(cx, slots_of(&ctx_slots, Py_TYPE(ctx), ctx_slot_names, CX_N), sizeof(cx));
    memcpy(rd, slots_of(&reader_slots, Py_TYPE(reader), reader_slot_names, RD_N), sizeof(rd));
    Py_ssize_t len = PyBytes_GET_SIZE(data);
    int r = conn_plain(ctx, cx, reader, rd, len);
    if (r < 0) goto fail;
    if (!r) goto python;
    if (!(reqs = PyList_New(0))) goto fail;
    const char *s = PyBytes_AS_STRING(data);
    Py_ssize_t taken = split_into(s, 0, len, reqs);
    if (taken < 0) goto fail;
    if (taken != len || PyList_GET_SIZE(reqs) == 0) goto python;
    /* data_received's steps before reader.feed, and feed's own on the reader */
    if (!(net = cattr(conn, s_net))) goto fail;
    PyObject *clock = cattr(net, s_clock);
    if (clock == NULL) goto fail;
    r = set_slot(ctx, cx[CX_last_interaction], s_last_interaction, clock);
    Py_DECREF(clock);
    if (r < 0) goto fail;
    PyObject *stats = cattr(net, s_stats);
    if (stats == NULL) goto fail;
    r = attr_add(stats, s_net_input, len);
    Py_DECREF(stats);
    if (r < 0 || set_slot(reader, rd[RD_unauth], s_unauth, Py_False) < 0
        || set_slot(reader, rd[RD_more], s_more, Py_False) < 0) goto fail;
    /* Connection.run: the first batch, its flush, then run_rest unless it ran them all */
    if (!(engine = cattr(net, s_engine))) goto fail;
    PyObject *rargv[3] = {engine, ctx, reqs};
    PyObject *done = run_batch(module, rargv, 3);
    if (done == NULL) goto fail;
    Py_ssize_t n = PyLong_AsSsize_t(done);
    if (n == -1 && PyErr_Occurred()) { Py_DECREF(done); goto fail; }
    if (conn_flush(conn, ctx, cx, net) < 0) { Py_DECREF(done); goto fail; }
    int rest = n < PyList_GET_SIZE(reqs);
    if (!rest && (rest = slot_true(ctx, cx[CX_closing], s_closing)) < 0) { Py_DECREF(done); goto fail; }
    if (!rest && (rest = slot_not_none(reader, rd[RD_error], s_error)) < 0) { Py_DECREF(done); goto fail; }
    if (rest) {
        PyObject *rr = call_method(conn, s_run_rest, reqs, done, NULL);
        Py_DECREF(done);
        if (rr == NULL) goto fail;
        Py_DECREF(rr);
    } else {
        Py_DECREF(done);
    }
    Py_INCREF(Py_None);
    result = Py_None;
    goto fail;
python: {       /* the Python method: type(conn).data_received(conn, data) */
        PyObject *m = cattr((PyObject *)Py_TYPE(conn), s_data_received);
        if (m != NULL) {
            result = PyObject_CallFunctionObjArgs(m, conn, data, NULL);
            Py_DECREF(m);
        }
    }
fail:
    Py_XDECREF(ctx); Py_XDECREF(reader); Py_XDECREF(net); Py_XDECREF(reqs); Py_XDECREF(engine);
    return result;
}

static PyMethodDef methods[] = {
    {"data_received", (PyCFunction)(void (*)(void))conn_data_received, METH_FASTCALL,
     "data_received(conn, data): net/connection.py Connection.data_received, compiled"},
    {"run_batch", (PyCFunction)(void (*)(void))run_batch, METH_FASTCALL,
     "run_batch(engine, c, reqs) -> count: engine/call.py Engine.run_batch, compiled"},
    {"configure", configure, METH_VARARGS,
     "configure(RedisError, BlockOn, arity_error, OUT_CHUNK): what run_batch needs from the engine"},
    {"configure_native", configure_native, METH_VARARGS,
     "configure_native(Database, {name: handler}, OK): the handlers run_batch may run natively"},
    {"configure_pools", configure_pools, METH_VARARGS,
     "configure_pools(Pool, random.random): keyspace/scan.py's Pool and the draws the native SPOP makes"},
    {"configure_zsets", configure_zsets, METH_VARARGS,
     "configure_zsets(ZSet, unkey[, SmallHash[, SortedList]]): the types the native ZPOPMIN/ZPOPMAX, HSET and ZADD use"},
    {"set_dict_warming", set_dict_warming, METH_O,
     "set_dict_warming(on) -> bool: warm the key lookups of a batch (where the dict layout is known)"},
    {"configure_streams", configure_streams, METH_VARARGS,
     "configure_streams(Stream, Node, ID_BASE): the types the native XADD uses, its ID encoding"},
    {"native_stats", native_stats, METH_NOARGS,
     "native_stats() -> {name: (native runs, fallbacks to the handler)}"},
    {"split_canonical", (PyCFunction)(void (*)(void))split_canonical, METH_FASTCALL,
     "split_canonical(chunk, out[, start]) -> bytes taken: protocol/reader.py _by_split, compiled"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_speedups", "pickledbd's optional compiled hot path", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    if (PyType_Ready(&EncoderType) < 0) return NULL;
#define INTERN(n) if (!(s_##n = PyUnicode_InternFromString(#n))) return NULL;
    NAMES(INTERN)
#undef INTERN
    if (!(empty_bytes = PyBytes_FromStringAndSize("", 0))) return NULL;
#define CTX_NAME(n) ctx_slot_names[CX_##n] = &s_##n;
#define CMD_NAME(n) cmd_slot_names[CM_##n] = &s_##n;
#define DB_NAME(n) db_slot_names[DB_##n] = &s_##n;
#define READER_NAME(n) reader_slot_names[RD_##n] = &s_##n;
    CTX_SLOTS(CTX_NAME)
    CMD_SLOTS(CMD_NAME)
    DB_SLOTS(DB_NAME)
    READER_SLOTS(READER_NAME)
    if (!(one = PyLong_FromLong(1))) return NULL;
    PyObject *collections = PyImport_ImportModule("collections");
    if (collections == NULL) return NULL;
    deque_type = PyObject_GetAttrString(collections, "deque");
    Py_DECREF(collections);
    if (deque_type == NULL) return NULL;
    if ((dict_layout_ok = dict_layout_check()) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    Py_INCREF(&EncoderType);
    if (PyModule_AddObject(m, "Encoder", (PyObject *)&EncoderType) < 0) {
        Py_DECREF(&EncoderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
