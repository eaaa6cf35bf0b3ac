package lease

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB is a Table in a DynamoDB table whose partition key is AttrKey (type S); it calls GetItem, PutItem and
// UpdateItem.
type DynamoDB struct {
	client *dynamodb.Client
	table  string
}

// NewDynamoDB returns a Table over the named DynamoDB table.
func NewDynamoDB(client *dynamodb.Client, table string) *DynamoDB {
	return &DynamoDB{client: client, table: table}
}

// Expression attribute names: owner, key, ttl and duration are reserved words.
var ddbNames = map[string]string{"#k": AttrKey, "#o": AttrOwner, "#r": AttrRVN, "#d": AttrDuration, "#t": AttrTTL}

// Get implements Table with a strongly consistent GetItem.
func (d *DynamoDB) Get(ctx context.Context, key string) (Item, bool, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            map[string]types.AttributeValue{AttrKey: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Item{}, false, fmt.Errorf("lease: get %q: %w", key, err)
	}
	if len(out.Item) == 0 {
		return Item{}, false, nil
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return Item{}, false, fmt.Errorf("lease: get %q: %w", key, err)
	}
	return it, true, nil
}

// Put implements Table with a conditional PutItem.
func (d *DynamoDB) Put(ctx context.Context, item Item, cond Condition) error {
	expr, names, vals, err := condExpr(cond)
	if err != nil {
		return err
	}
	av := map[string]types.AttributeValue{
		AttrKey:      &types.AttributeValueMemberS{Value: item.Key},
		AttrOwner:    &types.AttributeValueMemberS{Value: item.Owner},
		AttrRVN:      &types.AttributeValueMemberS{Value: item.RVN},
		AttrDuration: numAttr(item.Duration.Milliseconds()),
		AttrTTL:      numAttr(item.TTL.Unix()),
	}
	_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(d.table),
		Item:                      av,
		ConditionExpression:       aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	return ddbErr("put", item.Key, err)
}

// Update implements Table with a conditional UpdateItem.
func (d *DynamoDB) Update(ctx context.Context, item Item, cond Condition) error {
	expr, names, vals, err := condExpr(cond)
	if err != nil {
		return err
	}
	for _, n := range []string{"#o", "#r", "#d", "#t"} {
		names[n] = ddbNames[n]
	}
	vals[":nowner"] = &types.AttributeValueMemberS{Value: item.Owner}
	vals[":nrvn"] = &types.AttributeValueMemberS{Value: item.RVN}
	vals[":ndur"] = numAttr(item.Duration.Milliseconds())
	vals[":nttl"] = numAttr(item.TTL.Unix())
	_, err = d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       map[string]types.AttributeValue{AttrKey: &types.AttributeValueMemberS{Value: item.Key}},
		UpdateExpression:          aws.String("SET #o = :nowner, #r = :nrvn, #d = :ndur, #t = :nttl"),
		ConditionExpression:       aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	return ddbErr("update", item.Key, err)
}

// condExpr renders cond as a ConditionExpression with its names and values.
func condExpr(c Condition) (string, map[string]string, map[string]types.AttributeValue, error) {
	names := map[string]string{"#o": AttrOwner, "#r": AttrRVN}
	vals := map[string]types.AttributeValue{":rvn": &types.AttributeValueMemberS{Value: c.RVN}}
	switch c.Kind {
	case CondFree:
		names["#k"] = AttrKey
		vals[":empty"] = &types.AttributeValueMemberS{Value: ""}
		return "attribute_not_exists(#k) OR (#o = :empty AND #r = :rvn)", names, vals, nil
	case CondRVN:
		return "#r = :rvn", map[string]string{"#r": AttrRVN}, vals, nil
	case CondOwner:
		vals[":owner"] = &types.AttributeValueMemberS{Value: c.Owner}
		return "#o = :owner AND #r = :rvn", names, vals, nil
	}
	return "", nil, nil, fmt.Errorf("lease: unknown condition kind %d", c.Kind)
}

func ddbErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrConflict
	}
	return fmt.Errorf("lease: %s %q: %w", op, key, err)
}

func numAttr(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func decodeItem(av map[string]types.AttributeValue) (Item, error) {
	var it Item
	str := func(name string) string {
		if s, ok := av[name].(*types.AttributeValueMemberS); ok {
			return s.Value
		}
		return ""
	}
	num := func(name string) (int64, error) {
		n, ok := av[name].(*types.AttributeValueMemberN)
		if !ok {
			return 0, nil
		}
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("attribute %s: %w", name, err)
		}
		return v, nil
	}
	it.Key, it.Owner, it.RVN = str(AttrKey), str(AttrOwner), str(AttrRVN)
	ms, err := num(AttrDuration)
	if err != nil {
		return Item{}, err
	}
	secs, err := num(AttrTTL)
	if err != nil {
		return Item{}, err
	}
	it.Duration = time.Duration(ms) * time.Millisecond
	if secs != 0 {
		it.TTL = time.Unix(secs, 0)
	}
	return it, nil
}
