# front-end tests
