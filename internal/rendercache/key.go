package rendercache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FormatVersion is the shape of an entry and of what is keyed: bump it when
// either changes, so old entries are ignored.
const FormatVersion = 3

// Key is the content address of one app's render: the sha256 of everything
// known before rendering it.
type Key [32]byte

// String is the key in hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// KeyBuilder hashes named, length-prefixed parts into a Key.
type KeyBuilder struct{ h hash.Hash }

// NewKey starts a key with the format version and render-check's build.
func NewKey() *KeyBuilder {
	k := &KeyBuilder{h: sha256.New()}
	k.String("format", strings.Repeat("v", FormatVersion))
	k.String("build", BuildID())
	return k
}

// Bytes adds a named part.
func (k *KeyBuilder) Bytes(name string, v []byte) {
	var n [binary.MaxVarintLen64]byte
	k.h.Write(n[:binary.PutUvarint(n[:], uint64(len(name)))])
	k.h.Write([]byte(name))
	k.h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	k.h.Write(v)
}

// String adds a named string part.
func (k *KeyBuilder) String(name, v string) { k.Bytes(name, []byte(v)) }

// Strings adds a named list of strings.
func (k *KeyBuilder) Strings(name string, v []string) {
	k.String(name, strings.Join(v, "\x00")+"\x01")
}

// Sum returns the key.
func (k *KeyBuilder) Sum() Key {
	var out Key
	copy(out[:], k.h.Sum(nil))
	return out
}

var buildOnce struct {
	sync.Once
	id string
}

// BuildID identifies the render-check build: module versions, VCS revision
// and build settings when the build records a clean revision, else the
// sha256 of the executable itself (a development build, a test binary), so
// a changed renderer never reads results of another.
func BuildID() string {
	buildOnce.Do(func() { buildOnce.id = buildID() })
	return buildOnce.id
}

func buildID() string {
	var b strings.Builder
	b.WriteString(runtime.Version())
	bi, ok := debug.ReadBuildInfo()
	clean := false
	if ok {
		b.WriteString("\n" + bi.Path + "@" + bi.Main.Version + " " + bi.Main.Sum)
		var settings []string
		rev, modified := "", true
		for _, s := range bi.Settings {
			settings = append(settings, s.Key+"="+s.Value)
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		sort.Strings(settings)
		b.WriteString("\n" + strings.Join(settings, "\n"))
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			b.WriteString("\n" + d.Path + "@" + d.Version + " " + d.Sum)
		}
		released := bi.Main.Version != "" && bi.Main.Version != "(devel)"
		clean = released || (rev != "" && !modified)
	}
	if !clean {
		b.WriteString("\nexe:" + exeHash())
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// exeMemoDir is where the executable's hash is remembered between runs
// (set by Open: the render cache's written namespace), "" for nowhere.
var exeMemoDir atomic.Pointer[string]

// exeHash is the sha256 of the running executable; when it cannot be read,
// a value unique to this process (nothing cached by another process
// matches: no hit, never a stale one). Hashing a development build (75 MB)
// takes about 90 ms, so the hash is remembered in the cache directory under
// the file's identity (path, size, modification and change times, inode):
// any rebuild or replacement of the file changes it.
func exeHash() string {
	unique := fmt.Sprintf("unreadable:%d:%d", os.Getpid(), time.Now().UnixNano())
	p, err := os.Executable()
	if err != nil {
		return unique
	}
	f, err := os.Open(p)
	if err != nil {
		return unique
	}
	defer f.Close()
	memo := ""
	if dir := exeMemoDir.Load(); dir != nil && *dir != "" {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			id := fmt.Sprintf("%s\x00%d\x00%d\x00%s", p, st.Size(), st.ModTime().UnixNano(), fileIdentity(st))
			sum := sha256.Sum256([]byte(id))
			memo = filepath.Join(*dir, exeMemoPrefix+hex.EncodeToString(sum[:16]))
			if b, err := os.ReadFile(memo); err == nil && len(b) == 64 {
				if _, err := hex.DecodeString(string(b)); err == nil {
					return string(b)
				}
			}
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return unique
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if memo != "" {
		writeMemo(memo, sum)
	}
	return sum
}

// exeMemoPrefix names the files remembering an executable's hash.
const exeMemoPrefix = "exe-"

// writeMemo writes v to p (temp + rename); a failure only costs the next
// run the hashing.
func writeMemo(p, v string) {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-exe-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(v)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
}
