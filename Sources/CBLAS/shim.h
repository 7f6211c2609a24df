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

/* glibc's malloc tuning (M_* are macros Swift cannot import): blocks below
   `mmap_min` bytes come from the heap, where freed ones stay for reuse until the
   heap's free top exceeds `trim` bytes (glibc caps mmap_min at 32 MiB). Returns
   1 when glibc took both settings. */
#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <stdint.h>
static inline int dl_keep_freed_memory(int mmap_min, int trim) {
    return mallopt(M_MMAP_THRESHOLD, mmap_min) == 1 && mallopt(M_TRIM_THRESHOLD, trim) == 1;
}
/* Asks for transparent huge pages on the whole 2 MiB pages inside [p, p + bytes),
   before their first touch (numpy does so for its large arrays): a fault per 2 MiB
   instead of per 4 KiB. Advice only: 0 if it could not be given. */
static inline int dl_advise_huge_pages(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (end <= start) return 0;
    return madvise((void *)start, end - start, MADV_HUGEPAGE) == 0;
#else
    (void)p; (void)bytes; return 0;
#endif
}
#else
static inline int dl_keep_freed_memory(int mmap_min, int trim) { (void)mmap_min; (void)trim; return 0; }
static inline int dl_advise_huge_pages(void *p, size_t bytes) { (void)p; (void)bytes; return 0; }
#endif
