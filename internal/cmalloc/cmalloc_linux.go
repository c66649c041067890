//go:build linux && cgo

package cmalloc

/*
#include <malloc.h>
*/
import "C"

import (
	"os"
	"strings"
)

// mmapThreshold is the allocation size from which glibc maps memory of its
// own for a block and unmaps it when freed.
const mmapThreshold = 256 << 10

// Tune sets glibc's malloc for a long-running process whose large
// blocks come and go in C++ code (OpenCV's decoder, DNN blobs, frames):
//   - at most two arenas: OpenCV allocates from many threads (decoder, DNN
//     workers, its own thread pool), and glibc gives each contending thread
//     an arena of its own that is rarely returned; two arenas measured 30 MB
//     less peak RSS on a 1080p replay at the same speed;
//   - a fixed mmap threshold of 256 KiB: by default glibc raises the
//     threshold to the size of each mapped block freed, so after a camera
//     reopens (a looped file, a reconnect) the new decoder's frame buffers
//     come from the heap, around the holes of the old ones, and are never
//     returned; measured on six reopenings of a 1080p file: 65 MB of heap
//     kept with the default, 24 MB with the fixed threshold. The price: a
//     block of 256 KiB or more made for every frame is mapped, faulted in
//     a page at a time and unmapped every time, so per-frame buffers that
//     large are kept from frame to frame (platedet's input: 9 ms a 720p
//     frame when it was not).
//
// Settings given in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_
// or GLIBC_TUNABLES) win.
func Tune() {
	tunables := os.Getenv("GLIBC_TUNABLES")
	if os.Getenv("MALLOC_ARENA_MAX") == "" && !strings.Contains(tunables, "arena_max") {
		C.mallopt(C.M_ARENA_MAX, 2)
	}
	if os.Getenv("MALLOC_MMAP_THRESHOLD_") == "" && !strings.Contains(tunables, "mmap_threshold") {
		C.mallopt(C.M_MMAP_THRESHOLD, mmapThreshold)
	}
}
