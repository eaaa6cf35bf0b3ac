package fakeaas

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// This file holds the JSON shapes of the awsJson1_1 wire format, named and typed as in the Application Auto
// Scaling API model (aws-sdk-go-v2/service/applicationautoscaling serializers.go and deserializers.go).
// Members are PascalCase, capacities and cooldowns are JSON integers, timestamps are epoch seconds as JSON
// numbers, exactly as AAS sends them; the SDK's deserializer rejects anything else.

// double is a Smithy Double as the SDK sends it: a JSON number, or the strings "NaN", "Infinity" and
// "-Infinity" for the values JSON cannot write. Decoding them lets validation reject them with a clear
// message instead of a decoding error.
type double float64

// UnmarshalJSON reads a JSON number or one of the three special strings.
func (d *double) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*d = double(math.NaN())
		case "Infinity":
			*d = double(math.Inf(1))
		case "-Infinity":
			*d = double(math.Inf(-1))
		default:
			return fmt.Errorf("%q is not a number", awsfake.Truncate(s, 40))
		}
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*d = double(f)
	return nil
}

type suspendedStateJSON struct {
	DynamicScalingInSuspended  *bool `json:"DynamicScalingInSuspended,omitempty"`
	DynamicScalingOutSuspended *bool `json:"DynamicScalingOutSuspended,omitempty"`
	ScheduledScalingSuspended  *bool `json:"ScheduledScalingSuspended,omitempty"`
}

type scalableTargetJSON struct {
	ServiceNamespace  string             `json:"ServiceNamespace"`
	ResourceID        string             `json:"ResourceId"`
	ScalableDimension string             `json:"ScalableDimension"`
	MinCapacity       int                `json:"MinCapacity"`
	MaxCapacity       int                `json:"MaxCapacity"`
	RoleARN           string             `json:"RoleARN"`
	CreationTime      awsfake.Epoch      `json:"CreationTime"`
	SuspendedState    suspendedStateJSON `json:"SuspendedState"`
	ScalableTargetARN string             `json:"ScalableTargetARN"`
}

type predefinedMetricJSON struct {
	PredefinedMetricType string `json:"PredefinedMetricType"`
	ResourceLabel        string `json:"ResourceLabel,omitempty"`
}

// targetTrackingJSON is TargetTrackingScalingPolicyConfiguration, as a request carries it and as
// DescribeScalingPolicies answers it: the optional members exactly as they were put.
type targetTrackingJSON struct {
	TargetValue                   *double               `json:"TargetValue"`
	PredefinedMetricSpecification *predefinedMetricJSON `json:"PredefinedMetricSpecification"`
	ScaleInCooldown               *int32                `json:"ScaleInCooldown,omitempty"`
	ScaleOutCooldown              *int32                `json:"ScaleOutCooldown,omitempty"`
	DisableScaleIn                *bool                 `json:"DisableScaleIn,omitempty"`
	// CustomizedMetricSpecification is read only to be refused, so it is never answered back.
	CustomizedMetricSpecification json.RawMessage `json:"CustomizedMetricSpecification,omitempty"`
}

type alarmJSON struct {
	AlarmName string `json:"AlarmName"`
	AlarmARN  string `json:"AlarmARN"`
}

type scalingPolicyJSON struct {
	PolicyARN                                string             `json:"PolicyARN"`
	PolicyName                               string             `json:"PolicyName"`
	ServiceNamespace                         string             `json:"ServiceNamespace"`
	ResourceID                               string             `json:"ResourceId"`
	ScalableDimension                        string             `json:"ScalableDimension"`
	PolicyType                               string             `json:"PolicyType"`
	TargetTrackingScalingPolicyConfiguration targetTrackingJSON `json:"TargetTrackingScalingPolicyConfiguration"`
	Alarms                                   []alarmJSON        `json:"Alarms"`
	CreationTime                             awsfake.Epoch      `json:"CreationTime"`
}
