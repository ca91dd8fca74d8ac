"""Offline validation of the Kubernetes manifests (deploy/), the image and the Tilt dev loop."""
