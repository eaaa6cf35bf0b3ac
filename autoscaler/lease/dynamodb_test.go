package lease

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// startMoto runs moto_server on a free loopback port and returns its URL.
// Without moto_server the test is skipped, unless FASTSCALER_REQUIRE_MOTO=1.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("FASTSCALER_REQUIRE_MOTO") == "1" {
			t.Fatalf("moto_server not found and FASTSCALER_REQUIRE_MOTO=1: %v", err)
		}
		t.Skip("moto_server not installed (pip install 'moto[server]'); set FASTSCALER_REQUIRE_MOTO=1 to fail instead")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var out strings.Builder
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := hc.Get(url + "/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case <-exited:
			t.Fatalf("moto_server exited: %s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 15 s", url)
		}
	}
}

func TestContractDynamoDB(t *testing.T) {
	url := startMoto(t)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	const table = "fastscaler-lease"
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(AttrKey), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(AttrKey), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(AttrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}

	tb := NewDynamoDB(client, table)
	var n atomic.Int64
	contract(t, func(t *testing.T) (Table, string) {
		return tb, fmt.Sprintf("prod/router-%d", n.Add(1))
	})

	t.Run("ConflictAndRoundTrip", func(t *testing.T) {
		key := "raw"
		it := Item{Key: key, Owner: "x", RVN: "r1", Duration: 1500 * time.Millisecond, TTL: time.Unix(2000000000, 0)}
		if err := tb.Put(ctx, it, Condition{Kind: CondFree}); err != nil {
			t.Fatal(err)
		}
		got, ok, err := tb.Get(ctx, key)
		if err != nil || !ok || got != it {
			t.Fatalf("Get = %+v, %v, %v; want %+v", got, ok, err, it)
		}
		for _, c := range []Condition{{Kind: CondFree}, {Kind: CondRVN, RVN: "r0"}, {Kind: CondOwner, Owner: "y", RVN: "r1"}, {Kind: CondOwner, Owner: "x", RVN: "r0"}} {
			if err := tb.Put(ctx, it, c); err != ErrConflict {
				t.Fatalf("Put under %+v = %v, want ErrConflict", c, err)
			}
			if err := tb.Update(ctx, it, c); err != ErrConflict {
				t.Fatalf("Update under %+v = %v, want ErrConflict", c, err)
			}
		}
		if err := tb.Update(ctx, Item{Key: "missing", Owner: "x", RVN: "r2"}, Condition{Kind: CondOwner, Owner: "x", RVN: ""}); err != ErrConflict {
			t.Fatalf("Update of a missing item = %v, want ErrConflict", err)
		}
		if _, ok, _ := tb.Get(ctx, "missing"); ok {
			t.Fatal("a failed Update created an item")
		}
		rel := Item{Key: key, Owner: "", RVN: "r2", Duration: time.Second, TTL: it.TTL}
		if err := tb.Update(ctx, rel, Condition{Kind: CondOwner, Owner: "x", RVN: "r1"}); err != nil {
			t.Fatal(err)
		}
		if err := tb.Put(ctx, it, Condition{Kind: CondFree, RVN: "r2"}); err != nil {
			t.Fatalf("Put over a released item: %v", err)
		}
	})
}
