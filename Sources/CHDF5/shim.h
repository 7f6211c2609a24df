/* HDF5's H5P_*, H5F_ACC_*, H5T_NATIVE_* and friends are macros (often over global
   ids that need H5open first) that Swift cannot import; these inline functions
   give them names Swift can call. */
#include <hdf5.h>
#include <hdf5_hl.h>

static inline hid_t dl_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t dl_h5s_all(void) { return H5S_ALL; }
static inline hid_t dl_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t dl_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t dl_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t dl_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t dl_h5p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t dl_h5p_object_copy(void) { return H5P_OBJECT_COPY; }
static inline unsigned dl_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned dl_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned dl_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hid_t dl_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t dl_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t dl_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t dl_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t dl_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t dl_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t dl_h5t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t dl_h5t_c_s1(void) { return H5T_C_S1; }
/* Little-endian file types, so files are the same bytes on every machine. */
static inline hid_t dl_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t dl_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t dl_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t dl_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t dl_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline size_t dl_h5t_variable(void) { return H5T_VARIABLE; }
static inline H5_index_t dl_h5_index_name(void) { return H5_INDEX_NAME; }
static inline H5_iter_order_t dl_h5_iter_inc(void) { return H5_ITER_INC; }
/* Silences HDF5's own error-stack printing: we report errors ourselves, in one line. */
static inline void dl_h5_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* Large buffers (file images of hundreds of MB) from mmap with transparent huge
   pages: a 4 KiB page fault costs microseconds on a VM, a 2 MiB one covers 512
   of them. A 64-byte header before the returned pointer holds the mapping size. */
#include <sys/mman.h>
#include <string.h>

#define DL_BIG_HEADER 64
/* Linux mremap, declared here: defining _GNU_SOURCE in a module header would
   change the system headers' types for every module that imports this one. */
extern void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...);
#define DL_MREMAP_MAYMOVE 1

static inline void *dl_big_alloc(size_t size) {
    size_t total = size + DL_BIG_HEADER;
    void *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    madvise(base, total, MADV_HUGEPAGE);
    *(size_t *)base = total;
    return (char *)base + DL_BIG_HEADER;
}

static inline void dl_big_free(void *ptr) {
    if (!ptr) return;
    char *base = (char *)ptr - DL_BIG_HEADER;
    munmap(base, *(size_t *)base);
}

static inline void *dl_big_realloc(void *ptr, size_t size) {
    if (!ptr) return dl_big_alloc(size);
    char *base = (char *)ptr - DL_BIG_HEADER;
    size_t total = size + DL_BIG_HEADER;
    void *grown = mremap(base, *(size_t *)base, total, DL_MREMAP_MAYMOVE);
    if (grown == MAP_FAILED) return NULL;
    madvise(grown, total, MADV_HUGEPAGE);
    *(size_t *)grown = total;
    return (char *)grown + DL_BIG_HEADER;
}

/* File-image callbacks that give HDF5's core driver its memory from dl_big_*,
   and remember where that memory is: after a flush it holds the whole file
   image, so it can be written out without H5Fget_file_image's copy. */
typedef struct { void *mem; size_t size; int refs; } dl_core_memory;

static void *dl_fi_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op;
    void *p = dl_big_alloc(size);
    if (p && udata) { ((dl_core_memory *)udata)->mem = p; ((dl_core_memory *)udata)->size = size; }
    return p;
}
static void *dl_fi_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op; (void)udata; return memcpy(dest, src, size);
}
static void *dl_fi_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op;
    void *p = dl_big_realloc(ptr, size);
    if (p && udata) { ((dl_core_memory *)udata)->mem = p; ((dl_core_memory *)udata)->size = size; }
    return p;
}
static herr_t dl_fi_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
    (void)op;
    if (udata && ((dl_core_memory *)udata)->mem == ptr) { ((dl_core_memory *)udata)->mem = NULL; ((dl_core_memory *)udata)->size = 0; }
    dl_big_free(ptr);
    return 0;
}
/* HDF5 copies file access properties; all copies share one tracker. */
static void *dl_fi_udata_copy(void *udata) { return udata; }
static herr_t dl_fi_udata_free(void *udata) { (void)udata; return 0; }

/* The callbacks of a file image held in dl_big_* memory: a new file's (each
   request its own buffer), or, with `owned`, an image read whole and updated in
   place (one shared buffer, below). */
static void *dl_own_malloc(size_t, H5FD_file_image_op_t, void *);
static void *dl_own_memcpy(void *, const void *, size_t, H5FD_file_image_op_t, void *);
static void *dl_own_realloc(void *, size_t, H5FD_file_image_op_t, void *);
static herr_t dl_own_free(void *, H5FD_file_image_op_t, void *);
static inline herr_t dl_set_image_callbacks(hid_t fapl, dl_core_memory *tracker, int owned) {
    H5FD_file_image_callbacks_t cb;
    memset(&cb, 0, sizeof cb);
    cb.image_malloc = owned ? dl_own_malloc : dl_fi_malloc;
    cb.image_memcpy = owned ? dl_own_memcpy : dl_fi_memcpy;
    cb.image_realloc = owned ? dl_own_realloc : dl_fi_realloc;
    cb.image_free = owned ? dl_own_free : dl_fi_free;
    cb.udata_copy = dl_fi_udata_copy;
    cb.udata_free = dl_fi_udata_free;
    cb.udata = tracker;
    return H5Pset_file_image_callbacks(fapl, &cb);
}

/* An image read whole (a pipe, a file), opened for update in place: the core
   driver works on that very buffer. Every request of HDF5 for a copy (the file
   access property and the driver take one each) gets the one buffer, counted
   in `refs`; copying it onto itself is a no-op; growing it is dl_big_realloc
   (mremap: pages move, bytes are not copied); the last release frees it. So a
   file of any size is held once. The tracker starts with refs = 1 (its owner's). */
static void *dl_own_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op;
    dl_core_memory *u = (dl_core_memory *)udata;
    if (!u->mem || size > u->size) return NULL;
    u->refs++;
    return u->mem;
}
static void *dl_own_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op; (void)udata;
    return dest == src ? dest : memcpy(dest, src, size);
}
static void *dl_own_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op;
    dl_core_memory *u = (dl_core_memory *)udata;
    if (ptr != u->mem) return NULL;
    void *p = dl_big_realloc(ptr, size);
    if (p) { u->mem = p; u->size = size; }
    return p;
}
static herr_t dl_own_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
    (void)op; (void)ptr;
    dl_core_memory *u = (dl_core_memory *)udata;
    if (--u->refs == 0) { dl_big_free(u->mem); u->mem = NULL; u->size = 0; }
    return 0;
}

/* The owner's release (after H5Fclose). */
static inline void dl_own_release(dl_core_memory *u) {
    if (u->refs > 0 && --u->refs == 0) { dl_big_free(u->mem); u->mem = NULL; u->size = 0; }
}
