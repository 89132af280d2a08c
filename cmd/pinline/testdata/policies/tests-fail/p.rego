package pinline.user.p

deny contains "bad" if input.bad
