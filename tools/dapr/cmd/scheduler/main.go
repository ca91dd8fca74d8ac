// Command scheduler is Dapr's scheduler service (actor reminders, jobs), unchanged.
package main

import "github.com/dapr/dapr/cmd/scheduler/app"

func main() {
	app.Run()
}
