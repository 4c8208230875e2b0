# Unicorn serving the bench's tiny Rack app (config.ru) on a Unix socket. Ready is announced from
# after_worker_ready, the moment a worker starts accepting: the same "about to do work" moment
# the Node workers announce on their first task.
require File.join(ENV.fetch('BENCH_APPS'), 'bench_events.rb')

worker_processes Integer(ENV.fetch('BENCH_WORKERS'))
listen ENV.fetch('BENCH_SOCKET'), backlog: 1024
preload_app ENV['BENCH_PRELOAD'] == '1'
timeout 30

after_fork do |_server, worker|
  ENV['BENCH_ID'] = worker.nr.to_s
end

after_worker_ready do |_server, worker|
  BenchEvents.emit('ready', worker.nr)
end
