# rsyslog receiving HAProxy's logs in docker-compose.yml (see rsyslog.conf).
FROM debian:12.8-slim
RUN apt-get update && apt-get install -y --no-install-recommends rsyslog && rm -rf /var/lib/apt/lists/*
COPY rsyslog.conf /etc/rsyslog.conf
CMD ["rsyslogd", "-n", "-f", "/etc/rsyslog.conf"]
