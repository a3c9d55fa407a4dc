// Example application file; the profiles in ../.sandboxctl/ decide what commands run
// here may do.
package main

func main() {}
