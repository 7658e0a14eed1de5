"""The app's screens, one module each: welcome → devices → network → results, plus dialogs."""
