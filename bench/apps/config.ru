# The tiny worker app for Unicorn: one request is one task of $BENCH_TASK_MS, with the same start
# and end events as worker.cjs. Unicorn's unit of work is a request, so the harness drives tasks by
# keeping one request in flight per worker.
require File.join(ENV.fetch('BENCH_APPS'), 'bench_events.rb')

$bench_version = BenchEvents.read_version
task_s = Integer(ENV.fetch('BENCH_TASK_MS', '100')) / 1000.0

run(lambda do |_env|
  id = ENV['BENCH_ID']
  BenchEvents.emit('start', id)
  sleep task_s
  BenchEvents.emit('end', id)
  [200, { 'content-type' => 'text/plain' }, ['ok']]
end)
