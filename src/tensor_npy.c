#include "tensor_npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_io.h"
#include "input_file.h"
#include "registry.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_HEADER 65536

struct npy_header {
    char descr[16];
    int fortran, seen;  /* seen: bit 0 descr, 1 fortran_order, 2 shape */
    size_t shape[3];
    int ndim;
};

int tensor_npy_path(const char *path)
{
    size_t len = strlen(path);
    return len > 4 && strcmp(path + len - 4, ".npy") == 0;
}

/* the descr numpy writes for each storage type */
static const char *descr_of(enum nb_dtype dt)
{
    return dt == NB_F32 ? "<f4" : dt == NB_F16 ? "<f2" : "<u2";
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* a Python string literal in ' or " quotes, no escapes (numpy writes none) */
static int parse_string(const char **p, char *out, size_t len)
{
    const char q = **p;
    if (q != '\'' && q != '"')
        return -1;
    const char *end = strchr(*p + 1, q);
    if (!end || (size_t)(end - *p - 1) >= len)
        return -1;
    memcpy(out, *p + 1, (size_t)(end - *p - 1));
    out[end - *p - 1] = '\0';
    *p = end + 1;
    return 0;
}

/* (), (n,), (rows, n): at most three dimensions are read, two allowed */
static int parse_shape(const char **p, struct npy_header *h)
{
    if (**p != '(')
        return -1;
    const char *s = *p + 1;
    h->ndim = 0;
    for (;;) {
        s = skip_ws(s);
        if (*s == ')')
            break;
        if (*s < '0' || *s > '9' || h->ndim == 3)
            return -1;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (v > (unsigned long long)SIZE_MAX)
            return -1;
        h->shape[h->ndim++] = (size_t)v;
        s = skip_ws(end);
        if (*s == ',')
            s++;
        else if (*s != ')')
            return -1;
    }
    *p = s + 1;
    return 0;
}

static int parse_value_of(const char *key, const char **p, struct npy_header *h)
{
    if (!strcmp(key, "descr")) {
        h->seen |= 1;
        return parse_string(p, h->descr, sizeof h->descr);
    }
    if (!strcmp(key, "fortran_order")) {
        h->seen |= 2;
        if (!strncmp(*p, "True", 4) || !strncmp(*p, "False", 5)) {
            h->fortran = **p == 'T';
            *p += h->fortran ? 4 : 5;
            return 0;
        }
        return -1;
    }
    if (!strcmp(key, "shape")) {
        h->seen |= 4;
        return parse_shape(p, h);
    }
    return -1;
}

/* The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
static int parse_header(const char *text, struct npy_header *h)
{
    memset(h, 0, sizeof *h);
    const char *p = skip_ws(text);
    if (*p++ != '{')
        return -1;
    for (;;) {
        char key[32];
        p = skip_ws(p);
        if (*p == '}')
            break;
        if (parse_string(&p, key, sizeof key) != 0)
            return -1;
        p = skip_ws(p);
        if (*p++ != ':')
            return -1;
        p = skip_ws(p);
        if (parse_value_of(key, &p, h) != 0)
            return -1;
        p = skip_ws(p);
        if (*p == ',')
            p++;
        else if (*p != '}')
            return -1;
    }
    return h->seen == 7 ? 0 : -1;
}

/* magic, version, header length and the header text; 0 or -1 with why */
static int read_header(FILE *fp, struct npy_header *h, char *why, size_t whylen)
{
    unsigned char pre[12];
    if (fread(pre, 1, 8, fp) != 8 || memcmp(pre, NPY_MAGIC, 6) != 0) {
        snprintf(why, whylen, "not a .npy file (no \\x93NUMPY magic)");
        return -1;
    }
    const int major = pre[6];
    size_t hlen;
    if (major == 1) {
        if (fread(pre + 8, 1, 2, fp) != 2)
            goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 8, 1, 4, fp) != 4)
            goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        snprintf(why, whylen, "format version %d.%d (normbench reads 1.0 to 3.0)", major, pre[7]);
        return -1;
    }
    if (hlen > NPY_MAX_HEADER) {
        snprintf(why, whylen, "a header of %zu bytes (at most %d)", hlen, NPY_MAX_HEADER);
        return -1;
    }
    char *text = malloc(hlen + 1);
    if (!text) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int rc = 0;
    if (fread(text, 1, hlen, fp) != hlen) {
        free(text);
        goto truncated;
    }
    text[hlen] = '\0';
    if (strlen(text) != hlen || parse_header(text, h) != 0) {
        snprintf(why, whylen, "header is not a dict of descr, fortran_order and shape");
        rc = -1;
    }
    free(text);
    return rc;
truncated:
    snprintf(why, whylen, "truncated in its header");
    return -1;
}

/* what the header says against what the variant needs */
static int check_header(const struct npy_header *h, enum nb_dtype dt, char *why, size_t whylen)
{
    if (h->descr[0] == '>') {
        snprintf(why, whylen, "big-endian data ('%s'); save it little-endian (astype('<%s'))", h->descr,
                 descr_of(dt) + 1);
        return -1;
    }
    char want[8];
    snprintf(want, sizeof want, "%s", descr_of(dt));
    if (strcmp(h->descr, want) != 0 && !(h->descr[0] == '|' && !strcmp(h->descr + 1, want + 1))) {
        snprintf(why, whylen, "dtype '%s', but a %s variant reads '%s'%s", h->descr, dtype_name(dt), want,
                 dt == NB_BF16 ? " (bf16 as its uint16 bit patterns)" : "");
        return -1;
    }
    if (h->ndim < 1 || h->ndim > 2) {
        snprintf(why, whylen, "%d dimensions (want a row of n values or rows x n)", h->ndim);
        return -1;
    }
    if (h->fortran && h->ndim == 2 && h->shape[0] > 1 && h->shape[1] > 1) {
        snprintf(why, whylen, "Fortran order (save a C-ordered array: numpy.ascontiguousarray)");
        return -1;
    }
    const size_t rows = h->ndim == 2 ? h->shape[0] : 1, n = h->shape[h->ndim - 1];
    if (!rows || !n || n > NB_TENSOR_MAX_VALUES / rows) {
        snprintf(why, whylen, "shape with %s values (want 1 to %zu)", !rows || !n ? "no" : "too many",
                 NB_TENSOR_MAX_VALUES);
        return -1;
    }
    return 0;
}

int tensor_npy_read(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    FILE *fp = input_file_open(path, 0, err, errlen);
    if (!fp)
        return 2;
    struct npy_header h;
    char why[200];
    int rc = 2;
    if (read_header(fp, &h, why, sizeof why) != 0 || check_header(&h, dt, why, sizeof why) != 0)
        goto bad;
    t->dtype = dt;
    t->rows = h.ndim == 2 ? h.shape[0] : 1;
    t->n = h.shape[h.ndim - 1];
    const size_t bytes = t->rows * t->n * nb_dtype_size(dt);
    t->data = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!t->data) {
        snprintf(err, errlen, "%s: out of memory for %zu values", path, t->rows * t->n);
        fclose(fp);
        return 3;
    }
    size_t got = fread(t->data, 1, bytes, fp);
    if (got != bytes) {
        snprintf(why, sizeof why, "truncated: %zu of its %zu data bytes", got, bytes);
        goto bad;
    }
    if (fgetc(fp) != EOF) {
        snprintf(why, sizeof why, "bytes after the %zu x %zu values its shape gives", t->rows, t->n);
        goto bad;
    }
    fclose(fp);
    return 0;
bad:
    snprintf(err, errlen, "%s: %s", path, why);
    free(t->data);
    t->data = NULL;
    fclose(fp);
    return rc;
}

/* the header, padded with spaces so that the data starts 64-byte aligned,
 * ending in a newline (numpy's own layout) */
static size_t format_header(char *out, size_t len, const struct nb_tensor *t)
{
    int k = snprintf(out + 10, len - 10, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }",
                     descr_of(t->dtype), t->rows, t->n);
    size_t hlen = (size_t)k + 1;
    while ((10 + hlen) % 64)
        hlen++;
    memset(out + 10 + k, ' ', hlen - (size_t)k - 1);
    out[10 + hlen - 1] = '\n';
    memcpy(out, NPY_MAGIC "\x01\x00", 8);
    out[8] = (char)(hlen & 0xff);
    out[9] = (char)(hlen >> 8);
    return 10 + hlen;
}

int tensor_npy_write(const char *path, const struct nb_tensor *t, char *err, size_t errlen)
{
    char head[256];
    const size_t hbytes = format_header(head, sizeof head, t), bytes = t->rows * t->n * nb_dtype_size(t->dtype);
    /* csv_out's temporary sibling and rename: the file appears whole or not at all */
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    if (fwrite(head, 1, hbytes, o.fp) != hbytes || fwrite(t->data, 1, bytes, o.fp) != bytes)
        o.failed = 1;
    return csv_out_commit(&o, err, errlen);
}

int tensor_read_any(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen)
{
    return tensor_npy_path(path) ? tensor_npy_read(path, dt, t, err, errlen)
                                 : tensor_csv_read(path, dt, t, err, errlen);
}
