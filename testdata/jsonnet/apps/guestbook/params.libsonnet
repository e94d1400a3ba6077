// Parameters of the guestbook UI, imported relative to the app.
{
  containerPort: 80,
  image: 'gcr.io/google-samples/gb-frontend:v5',
  replicas: 2,
  servicePort: 80,
}
