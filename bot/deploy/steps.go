package deploy

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/template"
	"time"

	"github.com/shipgate/shipgate/policies"
)

func templateData(st *State) policies.StepTemplateData {
	return policies.StepTemplateData{Version: st.Version, PreviousVersion: st.PreviousVersion, Environment: st.Environment, Repo: st.Repo, SHA: st.SHA}
}

func execute(t *template.Template, data policies.StepTemplateData) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// webhookTries bounds the calls of a webhook step answered 5xx.
const webhookTries = 5

// SignatureHeader carries a webhook step's HMAC-SHA256 signature of the
// body, "sha256=<hex>", keyed with the secret named by secret_env.
const SignatureHeader = "X-Shipgate-Signature-256"

// WebhookBody is the JSON a webhook step posts.
type WebhookBody struct {
	Deployment      string `json:"deployment"`
	Kind            string `json:"kind"`
	Repo            string `json:"repo"`
	Environment     string `json:"environment"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previous_version,omitempty"`
	SHA             string `json:"sha,omitempty"`
	Attempt         int    `json:"attempt"`
	// Key is the same on every retry of one attempt: receivers dedupe by
	// it.
	Key string `json:"key"`
}

// webhookStep POSTs the deployment as JSON; 2xx succeeds, 5xx and network
// errors are retried with backoff, anything else fails.
type webhookStep struct {
	o    *Orchestrator
	call *policies.WebhookCall
}

func (s *webhookStep) Name() string { return "webhook" }

func (s *webhookStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	if cur.Key == "" {
		// Saved before the first call: every retry, after a crash too,
		// carries the same key, by which the receiver dedupes.
		cur.Key = newKey()
		if err := s.o.save(ctx, st); err != nil {
			return Result{}, err
		}
	}
	url, err := execute(s.call.URL, templateData(st))
	if err != nil {
		return failed("webhook url: %v", err)
	}
	body, err := json.Marshal(WebhookBody{Deployment: st.ID, Kind: st.Kind, Repo: st.Repo, Environment: st.Environment, Version: st.Version,
		PreviousVersion: st.PreviousVersion, SHA: st.SHA, Attempt: st.Attempt, Key: cur.Key})
	if err != nil {
		return Result{}, fmt.Errorf("encoding the webhook body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return failed("webhook %s: %v", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", cur.Key)
	if s.call.SecretEnv != "" {
		secret := s.o.cfg.Getenv(s.call.SecretEnv)
		if secret == "" {
			return failed("webhook: the environment variable %s (secret_env) is empty", s.call.SecretEnv)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	cur.Tries++
	resp, err := s.o.cfg.HTTPClient.Do(req)
	var status int
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		status = resp.StatusCode
	}
	switch {
	case err == nil && status >= 200 && status < 300:
		return done("webhook answered %d", status)
	case err == nil && status < 500:
		return failed("webhook answered %d", status)
	case cur.Tries >= webhookTries:
		return failed("webhook failed %d times; last: %s", cur.Tries, describe(status, err))
	}
	return waiting(st.now.Add(time.Duration(cur.Tries)*5*time.Second), "webhook %s; retrying", describe(status, err))
}

func describe(status int, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("answered %d", status)
}

// healthStep GETs a URL until it answers Expect, every Interval, at most
// Retries times.
type healthStep struct {
	o  *Orchestrator
	hc *policies.HealthCheck
}

func (s *healthStep) Name() string { return "health check" }

func (s *healthStep) Run(ctx context.Context, st *State) (Result, error) {
	cur := st.Current()
	url, err := execute(s.hc.URL, templateData(st))
	if err != nil {
		return failed("health_check url: %v", err)
	}
	cur.Tries++
	cctx, cancel := context.WithTimeout(ctx, s.hc.Timeout)
	defer cancel()
	status, err := get(cctx, s.o.cfg.HTTPClient, url)
	if err == nil && status == s.hc.Expect {
		return done("%s answered %d", url, status)
	}
	if cur.Tries >= max(s.hc.Retries, 1) {
		return failed("%s: %s after %d tries, expected %d", url, describe(status, err), cur.Tries, s.hc.Expect)
	}
	return waiting(st.now.Add(s.hc.Interval), "%s: %s; try %d of %d", url, describe(status, err), cur.Tries, s.hc.Retries)
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
