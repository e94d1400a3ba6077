package workspace

// ProblemKind is what is wrong with a file workspace reads Applications
// from. Workspace decides the fact; the stage reporting it (render) names
// the rule and severity.
type ProblemKind int

// Kinds of Problem.
const (
	// ProblemMalformedYAML: the file does not parse as YAML (the documents
	// before the error are still read).
	ProblemMalformedYAML ProblemKind = iota + 1
	// ProblemInvalidApplication: a document is an Argo CD Application that
	// does not decode as one.
	ProblemInvalidApplication
	// ProblemYAML11Boolean: a string field of an Application holds a plain
	// y/yes/on/n/no/off that kubectl (YAML 1.1) turns into a boolean, so the
	// API server rejects the Application.
	ProblemYAML11Boolean
)

// String names the kind (for tests and debugging).
func (k ProblemKind) String() string {
	switch k {
	case ProblemMalformedYAML:
		return "malformed-yaml"
	case ProblemInvalidApplication:
		return "invalid-application"
	case ProblemYAML11Boolean:
		return "yaml11-boolean"
	}
	return "unknown"
}

// Problem is one fact about a file of a cluster that keeps an Application
// from being read as its author meant, at the line a person edits.
type Problem struct {
	Kind ProblemKind
	// Cluster is the cluster whose files were read.
	Cluster string
	// File is the slash path relative to the root; Line is 1-based.
	File string
	Line int
	// Message says what is wrong, without the location.
	Message string
}
