// Software prefetch, which Swift has no spelling for. Static inline, so it compiles to one
// prefetch instruction inside the Swift kernel that calls it.
//
// Locality 2 (prefetcht1: into L2, not L1). Measured on the 106 MB Whisper head, two cores
// (EPYC, 32 KB L1d): 5 rows 3.2 ms against 4.8 ms with prefetchnta (locality 0), 10 rows
// 4.0 ms against 6.8 ms. Into L1, the lines ahead evict the rows of A the kernel keeps there.
static inline void glossa_prefetch(const void *address) { __builtin_prefetch(address, 0, 2); }
