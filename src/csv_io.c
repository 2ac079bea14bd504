#include "csv_io.h"
#include "input_file.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct read_state {
    const struct csv_reader_calls *calls;
    size_t row, col;
    int stop;
    char *scratch;     /* NUL-terminated copy of the current field */
    size_t scratch_cap;
    int oom;
};

static void on_field(void *text, size_t len, void *data)
{
    struct read_state *st = data;
    if (st->stop)
        return;
    if (len + 1 > st->scratch_cap) {
        char *p = realloc(st->scratch, len + 1);
        if (!p) {
            st->oom = 1;
            st->stop = 3;
            return;
        }
        st->scratch = p;
        st->scratch_cap = len + 1;
    }
    if (len)
        memcpy(st->scratch, text, len);
    st->scratch[len] = '\0';
    st->col++;
    if (st->calls->field)
        st->stop = st->calls->field(st->calls->ctx, st->row + 1, st->col, st->scratch, len);
}

static void on_row(int term, void *data)
{
    struct read_state *st = data;
    (void)term;
    if (st->stop)
        return;
    st->row++;
    if (st->calls->row_end)
        st->stop = st->calls->row_end(st->calls->ctx, st->row, st->col);
    st->col = 0;
}

int csv_read_file(const char *path, const struct csv_reader_calls *calls, char *err, size_t errlen)
{
    FILE *fp = input_file_open(path, 0, err, errlen);
    if (!fp)
        return 2;
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(fp);
        snprintf(err, errlen, "%s: cannot initialise the CSV parser", path);
        return 3;
    }
    struct read_state st = {.calls = calls};
    char buf[65536];
    size_t got;
    int rc = 0, first = 1;
    while (!st.stop && (got = fread(buf, 1, sizeof buf, fp)) > 0) {
        char *data = buf;
        /* the UTF-8 byte-order mark spreadsheets put first is not data
         * (CRLF line ends libcsv takes as they are) */
        if (first && got >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
            data += 3;
            got -= 3;
        }
        first = 0;
        if (memchr(data, '\0', got)) {
            snprintf(err, errlen, "%s:%zu: a NUL byte: not a text CSV file", path, st.row + 1);
            rc = 2;
            break;
        }
        if (csv_parse(&parser, data, got, on_field, on_row, &st) != got && !st.stop) {
            snprintf(err, errlen, "%s:%zu:%zu: malformed CSV (%s)", path, st.row + 1, st.col + 1,
                     csv_strerror(csv_error(&parser)));
            rc = 2;
            break;
        }
    }
    if (!rc && !st.stop && ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = 2;
    }
    if (!rc && !st.stop && csv_fini(&parser, on_field, on_row, &st) != 0) {
        snprintf(err, errlen, "%s:%zu:%zu: malformed CSV (%s)", path, st.row + 1, st.col + 1,
                 csv_strerror(csv_error(&parser)));
        rc = 2;
    }
    if (!rc && st.oom) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = 3;
    }
    if (!rc)
        rc = st.stop;
    csv_free(&parser);
    free(st.scratch);
    fclose(fp);
    return rc;
}

int csv_out_open(struct csv_out *out, const char *path, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(path);
    out->path = malloc(len + 1);
    out->tmp_path = malloc(len + 32);
    if (!out->path || !out->tmp_path) {
        free(out->path);
        free(out->tmp_path);
        snprintf(err, errlen, "%s: out of memory", path);
        return 3;
    }
    memcpy(out->path, path, len + 1);
    snprintf(out->tmp_path, len + 32, "%s.tmp.%ld", path, (long)getpid());
    out->fp = fopen(out->tmp_path, "wb");
    if (!out->fp) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        free(out->path);
        free(out->tmp_path);
        out->path = out->tmp_path = NULL;
        return 3;
    }
    return 0;
}

int csv_out_open_stream(struct csv_out *out, FILE *fp)
{
    memset(out, 0, sizeof *out);
    out->fp = fp;
    return 0;
}

void csv_out_field(struct csv_out *out, const char *text)
{
    if (out->fields++ && fputc(',', out->fp) == EOF)
        out->failed = 1;
    /* plain when nothing needs quoting, else libcsv quotes and escapes */
    if (strpbrk(text, ",\"\r\n") == NULL && text[0] != ' ' &&
        (text[0] == '\0' || text[strlen(text) - 1] != ' ')) {
        if (fputs(text, out->fp) == EOF)
            out->failed = 1;
    } else if (csv_fwrite(out->fp, text, strlen(text)) != 0) {
        out->failed = 1;
    }
}

void csv_out_fieldf(struct csv_out *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    csv_out_field(out, buf);
}

void csv_out_end_row(struct csv_out *out)
{
    if (fputc('\n', out->fp) == EOF)
        out->failed = 1;
    out->fields = 0;
}

static void csv_out_release(struct csv_out *out)
{
    free(out->path);
    free(out->tmp_path);
    out->path = out->tmp_path = NULL;
    out->fp = NULL;
}

int csv_out_commit(struct csv_out *out, char *err, size_t errlen)
{
    int write_errno = 0;
    if (!out->path) { /* a stream: flush only */
        int bad = fflush(out->fp) != 0 || ferror(out->fp) || out->failed;
        if (bad)
            snprintf(err, errlen, "standard output: write error");
        out->fp = NULL;
        return bad ? 3 : 0;
    }
    if (fflush(out->fp) != 0 || ferror(out->fp))
        write_errno = errno ? errno : EIO;
    if (fsync(fileno(out->fp)) != 0 && errno != EINVAL && !write_errno)
        write_errno = errno;
    if (fclose(out->fp) != 0 && !write_errno)
        write_errno = errno;
    if (out->failed && !write_errno)
        write_errno = EIO;
    if (!write_errno && rename(out->tmp_path, out->path) != 0)
        write_errno = errno;
    if (write_errno) {
        snprintf(err, errlen, "%s: cannot write: %s", out->path, strerror(write_errno));
        unlink(out->tmp_path);
        csv_out_release(out);
        return 3;
    }
    csv_out_release(out);
    return 0;
}

void csv_out_abort(struct csv_out *out)
{
    if (out->fp && out->path) {
        fclose(out->fp);
        unlink(out->tmp_path);
    }
    csv_out_release(out);
}
