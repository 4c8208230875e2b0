# Unicorn serving hello.ru on TCP 127.0.0.1:$PORT for the HTTP benchmark: N workers, no preload
# (so HUP loads the app again, as a reload should), a pid file for USR2 (the new master writes it,
# the old one's becomes .oldbin).
worker_processes Integer(ENV.fetch('BENCH_WORKERS'))
listen "127.0.0.1:#{ENV.fetch('PORT')}", backlog: 1024
pid ENV.fetch('BENCH_PID_FILE')
preload_app false
timeout 30
