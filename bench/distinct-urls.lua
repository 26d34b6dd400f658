-- Every request to a different path no route matches, as a scanner would send.
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/scan/" .. counter .. "/" .. math.random(1000000000) .. "/wp-login.php")
end
