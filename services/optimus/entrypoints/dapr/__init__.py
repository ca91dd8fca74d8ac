"""The Dapr host: the DatasetActor, the version-event subscription, and the app that serves both."""
