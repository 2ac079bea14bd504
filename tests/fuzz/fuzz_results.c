/* libFuzzer target: reading run results back, as `compare` and `report` do
 * (perf.csv, samples.csv, accuracy.csv and meta.csv through libcsv, then the
 * gate's statistics). The input is up to four files separated by lines
 * holding "%%"; they become a run directory that is compared against a
 * fixed valid run both ways, against itself by instruction counts, and
 * reported on. Any input must end in exit status 0, 1 or 2 (3 when out of
 * memory), never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fuzz_util.h"

static const char base_perf[] =
    "variant,norm,algorithm,isa,dtype,rows,n,eps,threads,cache,tier,reps,min_ns,median_ns,mean_ns,stddev_ns,mad_ns,cv,ns_per_row,bytes,bandwidth_gbs,ceiling_gbs,roofline_share,speedup_vs_naive,papi_tot_cyc_per_call,papi_tot_ins_per_call,papi_l1_dcm_per_call,papi_l2_dcm_per_call,counters_note,calls_per_rep,tsc_cycles_per_element,speedup_rms_vs_layernorm,instructions_per_call\n"
    "rmsnorm/naive/scalar/f32,rmsnorm,naive,scalar,f32,4,64,1e-06,1,hot,L1,5,1115.7562790697675,1120.1032558139534,1127.297488372093,16.556383123462687,4.346976744185895,0.014686791458545177,280.02581395348835,2304,2.0569532210900823,191.99040047997602,0.01071383369141217,1,,,,,PAPI_TOT_CYC: Event does not exist; PAPI_TOT_INS: Event does not exist; PAPI_L1_DCM: Event does not exist; PAPI_L2_DCM: Event does not exist,1075,10.940835755813954,,\n"
    "rmsnorm/fused/avx2/f32,rmsnorm,fused,avx2,f32,4,64,1e-06,1,hot,L1,5,140.04623642796145,143.32536293766012,142.67588142003174,2.1198223382263506,1.4778577528363996,0.014857608147418298,35.83134073441503,2304,16.075312511171752,191.99040047997602,0.08372977227498599,7.815108455724939,,,,,PAPI_TOT_CYC: Event does not exist; PAPI_TOT_INS: Event does not exist; PAPI_L1_DCM: Event does not exist; PAPI_L2_DCM: Event does not exist,8197,1.4003046083933146,,\n";
static const char base_samples[] =
    "variant,rows,n,eps,threads,cache,rep,calls,ns_per_call\n"
    "rmsnorm/naive/scalar/f32,4,64,1e-06,1,hot,0,1075,1116.786046511628\n"
    "rmsnorm/naive/scalar/f32,4,64,1e-06,1,hot,1,1075,1128.2586046511628\n"
    "rmsnorm/naive/scalar/f32,4,64,1e-06,1,hot,2,1075,1120.1032558139534\n"
    "rmsnorm/naive/scalar/f32,4,64,1e-06,1,hot,3,1075,1115.7562790697675\n"
    "rmsnorm/naive/scalar/f32,4,64,1e-06,1,hot,4,1075,1155.5832558139534\n"
    "rmsnorm/fused/avx2/f32,4,64,1e-06,1,hot,0,8197,144.80322069049652\n"
    "rmsnorm/fused/avx2/f32,4,64,1e-06,1,hot,1,8197,143.32536293766012\n"
    "rmsnorm/fused/avx2/f32,4,64,1e-06,1,hot,2,8197,140.85567890691718\n"
    "rmsnorm/fused/avx2/f32,4,64,1e-06,1,hot,3,8197,140.04623642796145\n"
    "rmsnorm/fused/avx2/f32,4,64,1e-06,1,hot,4,8197,144.34890813712335\n";
static const char base_accuracy[] =
    "variant,norm,dtype,rows,n,eps,dist,scale,rows_checked,max_ulp,mean_ulp,max_rel,rms_rel,nmse,exact_share,nan,pos_inf,neg_inf,false_zero\n"
    "rmsnorm/naive/scalar/f32,rmsnorm,f32,4,64,1e-06,normal,1,2,1.4981918707489967,0.47121229030017275,1.3575099266558664e-07,4.87939893592435e-08,2.042342542092759e-15,0.5859375,0,0,0,0\n"
    "rmsnorm/fused/avx2/f32,rmsnorm,f32,4,64,1e-06,normal,1,2,1.4981918707489967,0.47121229030017275,1.3575099266558664e-07,4.87939893592435e-08,2.042342542092759e-15,0.5859375,0,0,0,0\n";
static const char base_meta[] =
    "key,value\n"
    "date,2026-11-22T04:15:32Z\n"
    "normbench_version,0.1.0\n"
    "git_revision,6cb6da3\n"
    "compiler,12.2.0\n"
    "compiler_flags,-O2 -g -std=gnu11 -ffp-contract=off -fno-math-errno\n"
    "host_name,vm\n"
    "cpu_model,Intel(R) Xeon(R) Processor @ 2.50GHz\n"
    "cpu_flags,fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault ssbd ibrs ibpb stibp ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid mpx avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves arat umip pku ospke avx512_vnni md_clear flush_l1d arch_capabilities\n"
    "virtual_machine,yes (hypervisor flag)\n"
    "cores,2\n"
    "pus,2\n"
    "numa_nodes,1\n"
    "l1d_bytes,32768\n"
    "l2_bytes,1048576\n"
    "l3_bytes,37486592\n"
    "frequency_governor,n/a (/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor: No such file or directory)\n"
    "aslr,2\n"
    "perf_event_paranoid,2\n"
    "load_average,0.47 0.80 0.79 1/77 9870\n"
    "under_valgrind,no\n"
    "timer,\"CLOCK_MONOTONIC, resolution 24 ns, overhead 27.5 ns; TSC 2.5001 GHz (PAPI_get_real_cyc)\"\n"
    "papi_version,7.0.0\n"
    "papi_events,PAPI_TOT_CYC=Event does not exist;PAPI_TOT_INS=Event does not exist;PAPI_L1_DCM=Event does not exist;PAPI_L2_DCM=Event does not exist\n"
    "cpu,1\n"
    "config,embedded default suite\n"
    "suite,default\n"
    "kernels,\"rmsnorm/naive/scalar/f32,rmsnorm/fused/avx2/f32\"\n"
    "threads,1\n"
    "cache,hot\n"
    "reps,5\n"
    "min_time_s,0.001\n"
    "seed,42\n"
    "ceiling_L1_copy_gbs,191.99\n"
    "ceiling_L1_copy_by,avx512\n"
    "ceiling_L1_copy_nt_gbs,12.82\n"
    "ceiling_L1_read_gbs,114.97\n"
    "ceiling_L1_bytes,16384\n"
    "reference_values,128 in 0.001 s\n"
    "status,complete\n"
    "rows_measured,2 of 2\n";

static char base_dir[4096], new_dir[4096];
static const char *const file_names[] = {"perf.csv", "samples.csv", "accuracy.csv", "meta.csv"};

static char root_dir[4096];

static void remove_dirs(void)
{
    char path[4300];
    for (int d = 0; d < 2; d++) {
        const char *dir = d ? new_dir : base_dir;
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, file_names[i]);
            unlink(path);
        }
        snprintf(path, sizeof path, "%s/report.md", dir);
        unlink(path);
        rmdir(dir);
    }
    rmdir(root_dir);
}

static void make_dirs(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root_dir, sizeof root_dir, "%s/nb-fuzz-results-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root_dir))
        abort();
    atexit(remove_dirs);
    snprintf(base_dir, sizeof base_dir, "%.4000s/base", root_dir);
    snprintf(new_dir, sizeof new_dir, "%.4000s/new", root_dir);
    if (mkdir(base_dir, 0700) || mkdir(new_dir, 0700))
        abort();
    const char *base[] = {base_perf, base_samples, base_accuracy, base_meta};
    for (int i = 0; i < 4; i++)
        fuzz_write_file(base_dir, file_names[i], (const uint8_t *)base[i], strlen(base[i]));
}

static int run(int argc, char **argv)
{
    int rc = normbench_main(argc, argv);
    if (rc < 0 || rc > 3)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!base_dir[0])
        make_dirs();
    for (int i = 0; i < 4; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", new_dir, file_names[i]);
        unlink(path);
    }
    /* split on "\n%%\n" */
    const uint8_t *part = data, *end = data + size;
    for (int i = 0; i < 4 && part <= end; i++) {
        const uint8_t *sep = NULL;
        for (const uint8_t *p = part; p + 4 <= end; p++)
            if (!memcmp(p, "\n%%\n", 4)) {
                sep = p;
                break;
            }
        const uint8_t *stop = sep ? sep + 1 : end;
        fuzz_write_file(new_dir, file_names[i], part, (size_t)(stop - part));
        if (!sep)
            break;
        part = sep + 4;
    }
    char *a1[] = {"normbench", "compare", base_dir, new_dir, NULL};
    run(4, a1);
    char *a2[] = {"normbench", "compare", "--format", "md", new_dir, base_dir, NULL};
    run(6, a2);
    char *a3[] = {"normbench", "compare", "--metric", "instructions", new_dir, new_dir, NULL};
    run(6, a3);
    char *a4[] = {"normbench", "report", "--no-plots", new_dir, NULL};
    run(4, a4);
    return 0;
}
