// Signing with a security key or passkey: a signing form whose proof field asks for one
// (data-security-key-options) gets the browser's prompt when the person signs, and the signed
// answer goes in the field. Without JavaScript the code or password field works as before.
'use strict';
(() => {
  const fields = document.querySelectorAll('input[data-security-key-options]')
  fields.forEach((field) => {
    const form = field.form
    // requestSubmit, not submit(): the form's button is named "submit", which hides the
    // method, and the button's own value should go with the form as a click would send it.
    const sign = async (submitter) => {
      const response = await fetch(field.dataset.securityKeyOptions, { credentials: 'same-origin' })
      const options = await response.json()
      const credential = await window.webauthnJSON.get(options.request_options)
      field.value = JSON.stringify(credential)
      form.requestSubmit(submitter || form.querySelector('[type=submit]'))
    }
    if (field.readOnly) {
      form.addEventListener('submit', (event) => {
        if (field.value) return
        event.preventDefault()
        sign(event.submitter).catch(() => {
          field.setAttribute('aria-invalid', 'true')
        })
      })
    } else {
      const button = document.createElement('button')
      button.type = 'button'
      button.className = 'govuk-button govuk-button--secondary'
      button.textContent = 'Use my security key or passkey instead'
      button.addEventListener('click', () => { sign().catch(() => {}) })
      field.closest('.govuk-form-group').after(button)
    }
  })
})()
