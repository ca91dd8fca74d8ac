"""Example apps that show how services consume Optimus."""
