package lease

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/mototest"
)

func TestContractDynamoDB(t *testing.T) {
	url := mototest.Start(t)
	client := dynamodb.NewFromConfig(awstest.Config(url))
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
