package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

type healthOptions struct {
	url     string
	timeout time.Duration
}

func newHealthCmd() *cobra.Command {
	var o healthOptions
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Ask a running server whether it is ready (for container health checks)",
		Long: `GET a server's /readyz (or the URL given) and exit 0 when it answers 2xx, 1
otherwise, printing the answer. The server image has no shell, curl or wget:
this is its health check (docker compose healthcheck, a Kubernetes exec
probe). The default URL is /readyz on the loopback at SHIPGATE_ADDR's port.`,
		Example: `  shipgate health
  shipgate health --url http://127.0.0.1:8080/healthz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHealth(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.url, "url", defaultHealthURL(envOr("SHIPGATE_ADDR", ":8080")), "the URL to ask")
	f.DurationVar(&o.timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

// defaultHealthURL is /readyz on the loopback at the port of the server's
// listen address.
func defaultHealthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", "8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz"
}

func runHealth(ctx context.Context, out io.Writer, o healthOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
	if err != nil {
		return usageError(fmt.Errorf("--url %q: %w", o.url, err))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &exitError{code: exitUnsatisfied, err: fmt.Errorf("%s: no answer: %w", o.url, err)}
	}
	defer resp.Body.Close()
	// The status word is short; never print more than a line of it.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	word := string(bytes.TrimSpace(bytes.SplitN(body, []byte("\n"), 2)[0]))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &exitError{code: exitUnsatisfied, err: fmt.Errorf("%s answered %s %s", o.url, resp.Status, word)}
	}
	fmt.Fprintln(out, resp.Status, word)
	return nil
}
