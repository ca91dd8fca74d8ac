"""What every benchmark shares: processes, meters, the wrk and raw HTTP clients, data, the CLI.

Everything here runs on loopback only, and every loop is bounded in count or time.
"""
