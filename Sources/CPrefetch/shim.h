// Software prefetch, which Swift has no spelling for. Static inline, so it compiles to one
// prefetch instruction inside the Swift kernel that calls it.
//
// Locality 2 (prefetcht1: into L2, not L1). `glossa bench blas`, two threads, Whisper's 106 MB
// head: 5 rows 4.5 → 3.6 ms and 10 rows 7.8 → 5.2 ms against locality 0 (prefetchnta). Into
// L1, the lines ahead evicted the rows of A the skinny kernel keeps there.
static inline void glossa_prefetch(const void *address) { __builtin_prefetch(address, 0, 2); }
