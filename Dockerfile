# keptn-dt-metrics: a static binary in an empty image. It runs as any non-root UID (the
# job-executor uses 1000:2000) on a read-only root filesystem and writes nothing.
#
#   docker build -t keptn-dt-metrics .        # compiles in the official Rust image
#
# The binary is glibc linked statically: as fast as the dynamic glibc build (a musl build takes
# 2.5x as long on large inputs: its memcpy and allocator), with no file of the image's needed;
# it resolves names from /etc/hosts and DNS (resolv.conf), which the engine mounts.
#
# The first stage packages a binary that cargo already built on this machine, for engines that
# cannot pull images; the legacy builder builds stages in file order up to --target, so it needs
# no pull. The binary is copied to target/image/ first, from wherever CARGO_TARGET_DIR put it
# (it may lie outside the build context):
#
#   RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target x86_64-unknown-linux-gnu
#   install -D "${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release/keptn-dt-metrics" target/image/keptn-dt-metrics
#   DOCKER_BUILDKIT=0 docker build --target prebuilt -t keptn-dt-metrics .

FROM scratch AS prebuilt
COPY target/image/keptn-dt-metrics /keptn-dt-metrics
USER 65532:65532
ENTRYPOINT ["/keptn-dt-metrics"]

# The same binary with a shell, for runners that start a job's commands with one (GitLab CI's
# `script:`, Jenkins' `sh`, the GitHub Action): a static busybox, copied to target/image/ from
# Debian's busybox-static (`install -D /bin/busybox target/image/busybox`), nothing else. No
# USER: a runner mounts its workspace and output files for its own user (root, for GitHub's
# container actions, whose docs ask images not to set one); Kubernetes tasks use the image above.
#
#   DOCKER_BUILDKIT=0 docker build --target shell -t keptn-dt-metrics:shell .
FROM scratch AS shell
COPY target/image/keptn-dt-metrics /usr/local/bin/keptn-dt-metrics
COPY target/image/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/bin:/bin
CMD ["/bin/sh"]

FROM rust:1-slim AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
RUN RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked \
      --target x86_64-unknown-linux-gnu \
 && cp target/x86_64-unknown-linux-gnu/release/keptn-dt-metrics /keptn-dt-metrics

FROM scratch
COPY --from=build /keptn-dt-metrics /keptn-dt-metrics
USER 65532:65532
ENTRYPOINT ["/keptn-dt-metrics"]
