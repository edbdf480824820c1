// Software prefetch, which Swift has no spelling for. Static inline, so it compiles to one
// prefetch instruction inside the Swift kernel that calls it.
static inline void glossa_prefetch(const void *address) { __builtin_prefetch(address, 0, 0); }
