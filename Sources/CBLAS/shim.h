#include <cblas.h>

/* The CPU's feature registers, for choosing OpenBLAS's kernel by what the CPU
   can do (cpuid and xgetbv are instructions Swift cannot emit). */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdint.h>

/* cpuid leaf/subleaf into r[0..3] = eax, ebx, ecx, edx; 0 when the leaf is absent. */
static inline int dl_cpuid(unsigned leaf, unsigned subleaf, unsigned *r) {
    return __get_cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3]);
}

/* XCR0: which register states the OS saves (AVX needs bits 1-2, AVX-512 bits 5-7).
   Only valid when cpuid.1:ecx.OSXSAVE (bit 27) is set. */
static inline uint64_t dl_xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ __volatile__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}
#endif

/* A spin-wait hint for threads waiting on each other between BLAS calls. */
static inline void dl_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* glibc's malloc tuning (M_* are macros Swift cannot import): freed blocks up to
   `mmap_max` bytes stay in the heap for reuse, and the heap's top is returned to
   the kernel only beyond `trim` bytes. */
#if defined(__GLIBC__)
#include <malloc.h>
static inline void dl_keep_freed_memory(int mmap_max, int trim) {
    mallopt(M_MMAP_THRESHOLD, mmap_max);
    mallopt(M_TRIM_THRESHOLD, trim);
}
#else
static inline void dl_keep_freed_memory(int mmap_max, int trim) { (void)mmap_max; (void)trim; }
#endif
