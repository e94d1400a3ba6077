//go:build linux

package rendercache

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileIdentity is what besides size and modification time tells one file
// from another: device, inode and change time (which no user can set).
func fileIdentity(st fs.FileInfo) string {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d.%d", s.Dev, s.Ino, s.Ctim.Sec, s.Ctim.Nsec)
}
