package pinline.user.p_test

test_passes if "bad" in data.pinline.user.p.deny with input as {"bad": true}

test_fails if "bad" in data.pinline.user.p.deny with input as {"bad": false}
