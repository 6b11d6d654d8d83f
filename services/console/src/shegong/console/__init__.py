"""The shegong console (控制台): server-rendered pages over the services' HTTP APIs."""
