/* Parsing values (decimal, hex-float, specials) with one rounding, and
 * tensors that read back exactly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "../../src/accuracy.h"
#include "../../src/tensor_csv.h"
#include "../test_util.h"

static float parsed(const char *text, enum nb_dtype dt, int *inexact)
{
    float v;
    int bad = parse_value(text, dt, &v, inexact);
    cr_assert_eq(bad, 0, "'%s' did not parse", text);
    return v;
}

Test(parse_value, decimal_hex_and_specials)
{
    int inexact;
    cr_expect_eq(parsed("0x1.8p1", NB_F32, &inexact), 3.0f);
    cr_expect_eq(inexact, 0);
    cr_expect_eq(parsed(" -2.5 ", NB_F16, &inexact), -2.5f);
    cr_expect_eq(parsed("0.1", NB_F32, &inexact), 0.1f);
    cr_expect_eq(inexact, 1);
    cr_expect(isnan(parsed("nan", NB_BF16, &inexact)));
    cr_expect(isinf(parsed("-inf", NB_F16, &inexact)));
    cr_expect(isinf(parsed("70000", NB_F16, &inexact)));
    cr_expect_eq(inexact, 1);
    float v;
    cr_expect_neq(parse_value("1.5x", NB_F32, &v, &inexact), 0);
    cr_expect_neq(parse_value("", NB_F32, &v, &inexact), 0);
    cr_expect_neq(parse_value("abc", NB_F32, &v, &inexact), 0);
}

/* 1 + 2^-8 + 2^-60 is just above a bf16 midpoint: through a double it would
 * become the midpoint itself and round to even (1.0); correct is up. */
Test(parse_value, no_double_rounding)
{
    int inexact;
    const char *text = "1.00390625000000000086736173798840354720596224069595336914062500";
    cr_expect_eq(parsed(text, NB_BF16, &inexact), 1.0078125f);
    cr_expect_eq(parsed("1.00390625", NB_BF16, &inexact), 1.0f); /* the exact tie: even */
}

Test(tensor_csv, reads_back_exactly)
{
    struct rng r = {5};
    for (int dt = 0; dt < NB_DTYPE_COUNT; dt++) {
        struct nb_tensor t = {.dtype = (enum nb_dtype)dt, .rows = 7, .n = 13};
        t.data = malloc(7 * 13 * 4);
        for (size_t i = 0; i < 91; i++) {
            double v = ldexp(rng_normal(&r), (int)(rng_uniform(&r) * 60) - 30);
            if (i == 3) v = 0x1p-140; /* f32 subnormal */
            if (i == 4) v = 0x1p-20;  /* f16 subnormal */
            if (i == 5) v = INFINITY;
            if (i == 6) v = NAN;
            nb_store(t.data, i, (float)v, t.dtype);
        }
        char path[] = "/tmp/nb_tensor_XXXXXX";
        int fd = mkstemp(path);
        close(fd);
        char err[256];
        cr_assert_eq(tensor_csv_write(path, &t, 0, err, sizeof err), 0, "%s", err);
        struct nb_tensor back;
        cr_assert_eq(tensor_csv_read(path, t.dtype, &back, err, sizeof err), 0, "%s", err);
        cr_expect_eq(back.rows, 7);
        cr_expect_eq(back.n, 13);
        /* nine digits identify the value without being it: inexact may be > 0 */
        cr_expect(memcmp(back.data, t.data, 91 * nb_dtype_size(t.dtype)) == 0, "dtype %d differs", dt);
        unlink(path);
        free(back.data);
        free(t.data);
    }
}

static int read_bytes(const char *text, size_t len, char *err, size_t errlen)
{
    char path[] = "/tmp/nb_bad_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(write(fd, text, len) == (ssize_t)len);
    close(fd);
    struct nb_tensor t;
    int rc = tensor_csv_read(path, NB_F32, &t, err, errlen);
    if (rc == 0)
        free(t.data);
    unlink(path);
    return rc;
}

static int read_text(const char *text, char *err, size_t errlen)
{
    return read_bytes(text, strlen(text), err, errlen);
}

Test(tensor_csv, bad_input_names_row_and_column)
{
    char err[256];
    cr_expect_eq(read_text("1,2,3\n4,5\n", err, sizeof err), 2);
    cr_expect_neq(strstr(err, ":2: 2 values, but row 1 has 3"), NULL, "%s", err);
    cr_expect_eq(read_text("1,2\n3,x\n", err, sizeof err), 2);
    cr_expect_neq(strstr(err, ":2:2: not a number: 'x'"), NULL, "%s", err);
    cr_expect_eq(read_text("", err, sizeof err), 2);
    cr_expect_eq(read_text("1,\"2\n", err, sizeof err), 2);
    cr_expect_eq(read_bytes("1,2\0,3\n", 7, err, sizeof err), 2);
    cr_expect_neq(strstr(err, "NUL"), NULL, "%s", err);
}

Test(accuracy, ulp_at_edges)
{
    cr_expect_eq(accuracy_ulp(1.0, NB_F32), 0x1p-23);
    cr_expect_eq(accuracy_ulp(1.5, NB_BF16), 0x1p-7);
    cr_expect_eq(accuracy_ulp(0.0, NB_F16), 0x1p-24);
    cr_expect_eq(accuracy_ulp(0x1p-20, NB_F16), 0x1p-24);   /* subnormal */
    cr_expect_eq(accuracy_ulp(1e30, NB_F16), 32.0);         /* beyond the range */
    cr_expect_eq(accuracy_ulp_error(1.0, 1.0 + 0x1p-24, 1.0, NB_F32), 0.5);
    cr_expect_eq(accuracy_ulp_error(INFINITY, 70000.0, INFINITY, NB_F16), 0.0);
    cr_expect(isinf(accuracy_ulp_error(INFINITY, 1.0, 1.0, NB_F32)));
    cr_expect(isinf(accuracy_ulp_error(NAN, 1.0, 1.0, NB_F32)));
    cr_expect_eq(accuracy_ulp_error(NAN, NAN, NAN, NB_F32), 0.0);
    cr_expect_eq(accuracy_ulp_error(0.0, 0x1p-25, 0.0, NB_F16), 0.5);
}

Test(accuracy, summary_counts)
{
    struct accuracy_summary s = {0};
    accuracy_add(&s, 1.0, 1.0, 1.0, NB_F32);
    accuracy_add(&s, NAN, 2.0, 2.0, NB_F32);
    accuracy_add(&s, -INFINITY, 2.0, 2.0, NB_F32);
    accuracy_add(&s, 0.0, 0.5, 0.5, NB_F32);
    cr_expect_eq(s.count, 4);
    cr_expect_eq(s.nan, 1);
    cr_expect_eq(s.neg_inf, 1);
    cr_expect_eq(s.false_zero, 1);
    cr_expect_eq(s.correctly_rounded, 1);
    cr_expect_eq(s.false_nonfinite, 2);
    cr_expect(isinf(s.max_rel), "a NaN output against a finite reference");
    struct accuracy_summary r = {0};
    accuracy_add(&r, 1.5, 1.0, 1.5, NB_F32);   /* rel 0.5 */
    accuracy_add(&r, 2.0, 2.0, 2.0, NB_F32);   /* rel 0 */
    accuracy_add(&r, 0.0, 0.0, 0.0, NB_F32);   /* both zero: rel 0 */
    cr_expect_eq(r.max_rel, 0.5);
    cr_expect_float_eq(accuracy_rms_rel(&r), sqrt(0.25 / 3), 1e-15);
    cr_expect_float_eq(accuracy_nmse(&r), 0.25 / 5.0, 1e-15);
    /* terms-scaled ULPs: the error at a larger scale is smaller */
    struct accuracy_summary t = {0};
    accuracy_add_scaled(&t, 0x1p-20 + 0x1p-40, 0x1p-20, 0x1p-20, 1.0, NB_F32);
    cr_expect_eq(t.max_ulp, 0x1p-40 / 0x1p-43);
    cr_expect_eq(t.max_ulp_terms, 0x1p-40 / 0x1p-23);
}
