// Package cmalloc sets glibc's malloc, which OpenCV's C++ code allocates
// from, for a long-running process that handles video frames. The agent
// calls Tune first thing; so do the tests and benchmarks of the search, so
// that they measure what the agent runs.
package cmalloc
