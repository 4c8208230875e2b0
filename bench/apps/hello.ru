# The hello-world Rack app Unicorn serves in the HTTP benchmark (the Node systems serve
# http-hello.cjs): the same 12-byte body.
run(lambda do |_env|
  [200, { 'content-type' => 'text/plain', 'content-length' => '12' }, ["hello world\n"]]
end)
