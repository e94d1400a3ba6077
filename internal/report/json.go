package report

import (
	"encoding/json"
	"fmt"
	"io"
)

type jsonWriter struct{ w io.Writer }

func (j *jsonWriter) Write(r *Report) error {
	enc := json.NewEncoder(j.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing json report: %w", err)
	}
	return nil
}
