package bot

import (
	"crypto/rand"
	"encoding/hex"
)

// NewErrorID names one internal failure: it is logged with the error (as
// FieldErrorID) and told to the user who met it, who never sees the raw
// error (it may carry API URLs, or tokens); an operator finds the cause in
// the log under the ID.
func NewErrorID() string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand.Read, Go 1.24)
	return "sg-err-" + hex.EncodeToString(b[:])
}

// FieldErrorID is the log field of an error ID.
const FieldErrorID = "error_id"
