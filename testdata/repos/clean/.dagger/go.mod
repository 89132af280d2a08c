module dagger/clean

go 1.26
