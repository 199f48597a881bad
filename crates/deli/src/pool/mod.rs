//! The thread pool for CPU-bound work (being written).
