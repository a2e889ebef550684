package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// promAnswer is the envelope of Prometheus's HTTP API answers.
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// maxPromAnswer bounds the answer read: a metric check wants a few values.
const maxPromAnswer = 4 << 20

// queryPrometheus asks base's /api/v1/query for the instant value of q at
// at, decoded into common/model's values. It is the one call Shipgate
// makes; client_golang's API client would bring json-iterator and its
// reflection packages into every binary that links bot/deploy, the
// Action's included.
func queryPrometheus(ctx context.Context, hc *http.Client, base, q string, at time.Time) (model.Value, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("not an absolute URL such as https://prometheus.example.com")
	}
	form := url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1e3, 'f', -1, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.JoinPath("api/v1/query").String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPromAnswer))
	if err != nil {
		return nil, err
	}
	var a promAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.Status == "" {
		return nil, fmt.Errorf("answered %s, not as Prometheus's HTTP API does", resp.Status)
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("%s: %s", a.ErrorType, a.Error)
	}
	return decodePromResult(a.Data.ResultType, a.Data.Result)
}

// decodePromResult decodes a query's result by its type.
func decodePromResult(t string, raw json.RawMessage) (model.Value, error) {
	var v model.Value
	switch t {
	case model.ValVector.String():
		v = &model.Vector{}
	case model.ValScalar.String():
		v = &model.Scalar{}
	case model.ValMatrix.String():
		v = &model.Matrix{}
	case model.ValString.String():
		v = &model.String{}
	default:
		return nil, fmt.Errorf("an answer of unknown type %q", t)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decoding the %s answer: %w", t, err)
	}
	if vec, ok := v.(*model.Vector); ok {
		return *vec, nil
	}
	return v, nil
}
