//go:build tools

package tools
import (
 _ "gocv.io/x/gocv"
 _ "github.com/eclipse/paho.mqtt.golang"
 _ "github.com/mattn/go-sqlite3"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "golang.org/x/sys/unix"
 _ "gopkg.in/yaml.v3"
 _ "github.com/adrianmo/go-nmea"
)

