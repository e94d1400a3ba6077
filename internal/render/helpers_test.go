package render

import (
	"errors"
	"os"
	"strings"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

type txtarFile struct {
	Name string
	Data []byte
}

// parseTxtar reads a txtar archive: a comment, then files introduced by
// "-- name --" lines.
func parseTxtar(path string) ([]txtarFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var files []txtarFile
	var cur *txtarFile
	for _, line := range strings.SplitAfter(string(data), "\n") {
		t := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			files = append(files, txtarFile{Name: strings.TrimSpace(t[3 : len(t)-3])})
			cur = &files[len(files)-1]
			continue
		}
		if cur != nil {
			cur.Data = append(cur.Data, line...)
		}
	}
	return files, nil
}
