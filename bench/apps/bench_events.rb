# The Ruby side of the harness's event file (see worker.cjs): the same one-line events, written
# with one O_APPEND write(2) each, stamped with CLOCK_MONOTONIC in ns like Node's hrtime.
module BenchEvents
  # Appends "<event> <id> <pid> <ns> <version>" to $BENCH_EVENTS; reopens after a fork.
  def self.emit(event, id)
    path = ENV['BENCH_EVENTS'] or return
    if @pid != Process.pid
      @file = File.open(path, File::WRONLY | File::APPEND | File::CREAT)
      @pid = Process.pid
    end
    ns = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    @file.syswrite("#{event} #{id} #{Process.pid} #{ns} #{$bench_version || '1'}\n")
  end

  # The code version, read when the app is built (config.ru), as worker.cjs reads it on load.
  def self.read_version
    path = ENV['BENCH_VERSION_FILE']
    path ? File.read(path).strip : '1'
  end
end
