# syntax=docker/dockerfile:1
# The Optimus image: `optimus serve --dapr` (app id optimus-api, port 8888) by default;
# the loader workers run `optimus loader-worker` from the same image (deploy/base).
# Pin by digest in your registry for reproducible rollouts (python:3.11.14-slim-bookworm@sha256:...).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# The package and its runtime dependencies (all wheels) in a virtualenv.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md /src/
COPY services /src/services
RUN /opt/venv/bin/pip install /src

# Just the virtualenv, run as an unprivileged user.
FROM ${PYTHON_IMAGE} AS app
RUN groupadd --system --gid 10001 optimus \
 && useradd --system --uid 10001 --gid optimus --no-create-home --home-dir /nonexistent optimus
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8888
ENTRYPOINT ["optimus"]
CMD ["serve", "--dapr", "--host", "0.0.0.0", "--port", "8888"]

# Tilt's target (tilt/Tiltfile): live update syncs sources into the installed package,
# which the app user may write here, and watchfiles restarts the command on a change.
FROM app AS dev
USER root
RUN chown -R 10001:10001 /opt/venv/lib/python3.11/site-packages/optimus
USER 10001:10001
ENTRYPOINT ["/bin/sh", "-c", "exec watchfiles --target-type command --filter python \"optimus $*\" /opt/venv/lib/python3.11/site-packages/optimus", "optimus"]
CMD ["serve", "--dapr", "--host", "0.0.0.0", "--port", "8888"]

# The default target: the production image.
FROM app
