package hotlist

import (
	"os"
	"syscall"
)

// stampOfInfo is a file's modification time, size and inode: a file
// replaced by a rename (how editors and provisioning tools write) has a new
// inode even when its time and size look the same.
func stampOfInfo(fi os.FileInfo) stamp {
	s := stamp{mod: fi.ModTime(), size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = st.Ino
	}
	return s
}
